{#- Support per account and week: tickets of the last 30 days against the 30 before, and
    the average CSAT of tickets solved in the last 90 days. -#}
with

account_weeks as (
    select * from {{ ref('int_account_weeks') }}
),

tickets as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        count(case when t.created_at >= {{ dbt.dateadd('day', -30, 'account_weeks.snapshot_at') }} then 1 end) as tickets_30d,
        count(case when t.created_at < {{ dbt.dateadd('day', -30, 'account_weeks.snapshot_at') }}
                    and t.created_at >= {{ dbt.dateadd('day', -60, 'account_weeks.snapshot_at') }} then 1 end) as tickets_prior_30d,
        avg(case when t.solved_at >= {{ dbt.dateadd('day', -90, 'account_weeks.snapshot_at') }}
                  and t.solved_at < account_weeks.snapshot_at then t.csat_score end) as csat_90d
    from account_weeks
    inner join {{ ref('stg_support__tickets') }} as t
        on t.account_id = account_weeks.account_id
        and t.created_at < account_weeks.snapshot_at
        and t.created_at >= {{ dbt.dateadd('day', -150, 'account_weeks.snapshot_at') }}
    group by account_weeks.account_id, account_weeks.week_start
),

final as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        coalesce(tickets.tickets_30d, 0) as tickets_30d,
        coalesce(tickets.tickets_prior_30d, 0) as tickets_prior_30d,
        {{ signed_ratio(
            'coalesce(tickets.tickets_30d, 0) - coalesce(tickets.tickets_prior_30d, 0)',
            'case when coalesce(tickets.tickets_prior_30d, 0) > 1 then tickets.tickets_prior_30d else 1 end', 0) }}
            as ticket_change_30d,
        round(tickets.csat_90d, 6) as csat_90d
    from account_weeks
    left join tickets on tickets.account_id = account_weeks.account_id and tickets.week_start = account_weeks.week_start
)

select * from final
