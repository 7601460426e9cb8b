{#- What happened after each paying account-week: did the account churn (MRR to 0) or lose at
    least `loss_share` of its MRR at some weekly snapshot within `horizon_days` (seed
    backtest_settings)? Only complete weeks with MRR > 0 are scored; the outcome is known when
    the whole horizon lies before the as-of snapshot. outcome_week is the first week the loss
    shows, so one loss is one outcome event however many weeks before it were scored. -#}
with

weekly_mrr as (
    select * from {{ ref('int_account_mrr_weekly') }}
),

settings as (
    select * from {{ ref('backtest_settings') }}
),

last_snapshot as (
    select max(snapshot_at) as snapshot_at from weekly_mrr
),

scored as (
    select
        weekly_mrr.account_id,
        weekly_mrr.week_start,
        weekly_mrr.snapshot_at,
        weekly_mrr.mrr,
        {{ dbt.dateadd('day', 'settings.horizon_days', 'weekly_mrr.snapshot_at') }} as horizon_end,
        (1 - settings.loss_share) * weekly_mrr.mrr as loss_level
    from weekly_mrr
    cross join settings
    where weekly_mrr.is_complete and weekly_mrr.mrr > 0
),

losses as (
    select
        scored.account_id,
        scored.week_start,
        min(later.week_start) as outcome_week
    from scored
    inner join weekly_mrr as later
        on later.account_id = scored.account_id
        and later.snapshot_at > scored.snapshot_at
        and later.snapshot_at <= scored.horizon_end
        and later.mrr <= scored.loss_level
    group by scored.account_id, scored.week_start
),

final as (
    select
        scored.account_id,
        scored.week_start,
        scored.mrr,
        scored.horizon_end <= last_snapshot.snapshot_at as is_known,
        scored.horizon_end,
        losses.outcome_week is not null as had_outcome,
        losses.outcome_week
    from scored
    cross join last_snapshot
    left join losses
        on losses.account_id = scored.account_id
        and losses.week_start = scored.week_start
)

select * from final
