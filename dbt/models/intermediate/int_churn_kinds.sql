{#- Each outcome event of the backtest (an account's churn or loss of at least loss_share of MRR, first
    week `outcome_week`; int_account_weekly_outcomes) classified by what came first in the
    `churn_kind_window_weeks` (dbt var, 26) weeks before it (seed churn_kinds, in its priority order when two start in the
    same week): a contraction (seats cut, or a cut of the contract: int_account_contract_changes, so an
    FX move is none), adoption that never came (core adoption at most the kind's threshold, 35%, in every week), fading
    usage, a lost relationship, payment trouble (an invoice overdue, payments later each time, or
    billing tickets after a price rise: the early warnings of those names), or none of these (unannounced). With the churn-risk alerts of the 8
    weeks before: the first (lead_weeks from it) and whether one fired in the last 4 and in the last 8
    weeks (churn_detection_by_kind). -#}
with

outcomes as (
    select * from {{ ref('int_account_weekly_outcomes') }}
    where is_known and had_outcome
),

facts as (
    select * from {{ ref('int_account_weekly_facts') }}
),

cuts as (
    select * from {{ ref('int_account_contract_changes') }}
    where change_kind = 'cut'
),

kinds as (
    select * from {{ ref('churn_kinds') }}
),

alerts as (
    select * from {{ ref('churn_risk_alerts') }}
    where signal_type = 'churn_risk'
),

{%- set t = "(select threshold from kinds where churn_kind = '%s')" %}

events as (
    select distinct account_id, outcome_week
    from outcomes
),

-- the weeks a contract was cut (seats, plan or discount; not FX) and the weeks the bill's early warnings fired
cut_weeks as (
    select distinct facts.account_id, facts.week_start
    from facts
    inner join cuts
        on cuts.account_id = facts.account_id
        and cuts.changed_at >= cast(facts.week_start as {{ dbt.type_timestamp() }})
        and cuts.changed_at < cast({{ dbt.dateadd('day', 7, 'facts.week_start') }} as {{ dbt.type_timestamp() }})
),

bill_weeks as (
    select distinct account_id, week_start
    from alerts
    where rule in ('payment_delays_growing', 'billing_tickets_after_price_rise')
),

-- each week's signs, against the account's own week before
weekly as (
    select
        facts.account_id,
        facts.week_start,
        facts.core_adoption_28d,
        case
            when lag(facts.licensed_seats) over (partition by facts.account_id order by facts.week_start)
                > facts.licensed_seats and facts.licensed_seats > 0 then 1
            when cut_weeks.account_id is not null then 1
            else 0
        end as is_contraction,
        case
            when facts.login_trend_4w <= {{ t % 'usage_fading' }} then 1
            when facts.core_events_baseline_2w >= 10 and facts.core_events_2w <= 0.5 * facts.core_events_baseline_2w
                then 1
            else 0
        end as is_usage_fading,
        case
            when facts.champion_left_this_week = 1 or facts.sponsor_left_this_week = 1 then 1
            when facts.lowest_nps_this_week <= {{ t % 'relationship_lost' }} then 1
            else 0
        end as is_relationship_lost,
        case
            when facts.max_days_overdue > {{ t % 'payment_trouble' }} then 1
            when bill_weeks.account_id is not null then 1
            else 0
        end as is_payment_trouble
    from facts
    left join cut_weeks
        on cut_weeks.account_id = facts.account_id
        and cut_weeks.week_start = facts.week_start
    left join bill_weeks
        on bill_weeks.account_id = facts.account_id
        and bill_weeks.week_start = facts.week_start
),

in_window as (
    select
        events.account_id,
        events.outcome_week,
        weekly.week_start,
        weekly.core_adoption_28d,
        weekly.is_contraction,
        weekly.is_usage_fading,
        weekly.is_relationship_lost,
        weekly.is_payment_trouble
    from events
    inner join weekly
        on weekly.account_id = events.account_id
        and weekly.week_start < events.outcome_week
        and weekly.week_start >= cast({{ dbt.dateadd('day', -7 * var('churn_kind_window_weeks'), 'events.outcome_week') }} as date)
),

firsts as (
    select
        account_id,
        outcome_week,
        min(case when is_contraction = 1 then week_start end) as contraction_led,
        case when max(core_adoption_28d) <= {{ t % 'adoption_never_came' }} then min(week_start) end
            as adoption_never_came,
        min(case when is_usage_fading = 1 then week_start end) as usage_fading,
        min(case when is_relationship_lost = 1 then week_start end) as relationship_lost,
        min(case when is_payment_trouble = 1 then week_start end) as payment_trouble
    from in_window
    group by account_id, outcome_week
),

candidates as (
    select account_id, outcome_week, 'contraction_led' as churn_kind, contraction_led as first_sign_week from firsts
    union all
    select account_id, outcome_week, 'adoption_never_came', adoption_never_came from firsts
    union all
    select account_id, outcome_week, 'usage_fading', usage_fading from firsts
    union all
    select account_id, outcome_week, 'relationship_lost', relationship_lost from firsts
    union all
    select account_id, outcome_week, 'payment_trouble', payment_trouble from firsts
),

ranked as (
    select
        candidates.*,
        row_number() over (
            partition by candidates.account_id, candidates.outcome_week
            order by candidates.first_sign_week, kinds.priority
        ) as rank_in_event
    from candidates
    inner join kinds
        on kinds.churn_kind = candidates.churn_kind
    where candidates.first_sign_week is not null
),

warned as (
    select
        events.account_id,
        events.outcome_week,
        min(alerts.week_start) as first_alert_week,
        max(alerts.week_start) as last_alert_week
    from events
    inner join alerts
        on alerts.account_id = events.account_id
        and alerts.week_start < events.outcome_week
        and alerts.week_start >= cast({{ dbt.dateadd('day', -56, 'events.outcome_week') }} as date)
    group by events.account_id, events.outcome_week
),

final as (
    select
        events.account_id,
        events.outcome_week,
        coalesce(ranked.churn_kind, 'unannounced') as churn_kind,
        ranked.first_sign_week,
        warned.first_alert_week,
        cast({{ dbt.datediff('warned.first_alert_week', 'events.outcome_week', 'day') }} / 7 as integer)
            as lead_weeks,
        warned.first_alert_week is not null as is_warned_8w,
        coalesce({{ dbt.datediff('warned.last_alert_week', 'events.outcome_week', 'day') }} <= 28, false)
            as is_warned_4w
    from events
    left join ranked
        on ranked.account_id = events.account_id
        and ranked.outcome_week = events.outcome_week
        and ranked.rank_in_event = 1
    left join warned
        on warned.account_id = events.account_id
        and warned.outcome_week = events.outcome_week
)

select * from final
