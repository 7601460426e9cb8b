{#- Everything the health score and the alerts need, per account and week, for
    every week in which the account holds licensed seats (trial included): the grain
    (int_account_weeks) and one model per component, plus each account against its own
    baseline (int_account_weekly_trends), side by side. Each figure is read at
    the week's snapshot (end of week, or the as-of date) and looks back from it: 28 days
    (4 weeks) of usage, 30/60 days of tickets, 60 days of e-mails, 90/91 days of CSAT,
    invoices and QBRs. -#}
with

account_weeks as (
    select * from {{ ref('int_account_weeks') }}
),

usage as (
    select * from {{ ref('int_account_weekly_usage') }}
),

engagement as (
    select * from {{ ref('int_account_weekly_engagement') }}
),

support as (
    select * from {{ ref('int_account_weekly_support') }}
),

relationship as (
    select * from {{ ref('int_account_weekly_relationship') }}
),

financial as (
    select * from {{ ref('int_account_weekly_financial') }}
),

trends as (
    select * from {{ ref('int_account_weekly_trends') }}
),

final as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        account_weeks.snapshot_at,
        account_weeks.is_complete,
        account_weeks.licensed_seats,
        account_weeks.days_since_start,
        -- what the alerts and marts read beside the health measures
        usage.logins,
        usage.core_events_2w,
        usage.core_events_prior_2w,
        usage.users_active_28d,
        engagement.emails_60d,
        support.tickets_30d,
        support.tickets_prior_30d,
        relationship.sponsor_left_this_week,
        relationship.champion_left_this_week,
        relationship.lowest_nps_this_week,
        relationship.highest_nps_this_week,
        financial.max_days_overdue,
        financial.mrr_last_month,
        financial.mrr_year_before,
        trends.core_events_baseline_2w,
        -- the health measures, from their component models as dbt_project.yml declares them (health_measures)
        {{ health_measures(qualified=true) | join(',\n        ') }}
    from account_weeks
    inner join usage on usage.account_id = account_weeks.account_id and usage.week_start = account_weeks.week_start
    inner join engagement
        on engagement.account_id = account_weeks.account_id and engagement.week_start = account_weeks.week_start
    inner join support on support.account_id = account_weeks.account_id and support.week_start = account_weeks.week_start
    inner join relationship
        on relationship.account_id = account_weeks.account_id and relationship.week_start = account_weeks.week_start
    inner join financial
        on financial.account_id = account_weeks.account_id and financial.week_start = account_weeks.week_start
    inner join trends on trends.account_id = account_weeks.account_id and trends.week_start = account_weeks.week_start
)

select * from final
