{#- Which churn do the alerts see coming? Per kind of churn (int_churn_kinds: what came first in the 26
    weeks before each churn or loss of half the MRR) and for all: how many outcome events, the share
    preceded by a churn-risk alert within 4 and within 8 weeks, and the median lead time in weeks. -#}
with

events as (
    select * from {{ ref('int_churn_kinds') }}
),

kinds as (
    select churn_kind, priority from {{ ref('churn_kinds') }}
    union all
    select 'all' as churn_kind, 0 as priority
),

tagged as (
    select churn_kind, account_id, outcome_week, lead_weeks, is_warned_4w, is_warned_8w from events
    union all
    select 'all' as churn_kind, account_id, outcome_week, lead_weeks, is_warned_4w, is_warned_8w from events
),

final as (
    select
        kinds.churn_kind,
        kinds.priority,
        count(tagged.account_id) as outcome_events,
        count(distinct tagged.account_id) as accounts,
        sum(case when tagged.is_warned_4w then 1 else 0 end) as warned_4w,
        sum(case when tagged.is_warned_8w then 1 else 0 end) as warned_8w,
        cast(round(
            sum(case when tagged.is_warned_4w then 1.0 else 0 end) / nullif(count(tagged.account_id), 0), 6
        ) as decimal(12, 6)) as warned_4w_share,
        cast(round(
            sum(case when tagged.is_warned_8w then 1.0 else 0 end) / nullif(count(tagged.account_id), 0), 6
        ) as decimal(12, 6)) as warned_8w_share,
        percentile_cont(0.5) within group (order by tagged.lead_weeks) as median_lead_weeks
    from kinds
    left join tagged
        on tagged.churn_kind = kinds.churn_kind
    group by kinds.churn_kind, kinds.priority
)

select * from final
