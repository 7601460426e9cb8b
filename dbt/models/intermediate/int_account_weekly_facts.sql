{#- Everything the health score and the alerts need, per account and week, for
    every week in which the account holds licensed seats (trial included). Each
    figure is read at the week's snapshot (end of week, or the as-of date) and
    looks back from it: 28 days (4 weeks) of usage, 30/60 days of tickets,
    60 days of e-mails, 90/91 days of CSAT, invoices and QBRs. -#}
with

weeks as (
    select * from {{ ref('int_weeks') }}
),

versions as (
    select * from {{ ref('int_subscription_versions') }}
),

activity as (
    select * from {{ ref('int_account_weekly_activity') }}
),

seen as (
    select * from {{ ref('int_account_weekly_seen') }}
),

core_feature_count as (
    select count(*) as core_features from {{ ref('stg_product__features') }} where is_core
),

account_weeks as (
    select
        versions.account_id,
        weeks.week_start,
        weeks.snapshot_at,
        weeks.is_complete,
        sum(versions.seats) as licensed_seats
    from versions
    inner join weeks
        on versions.valid_from < weeks.snapshot_at
        and (versions.valid_to is null or versions.valid_to >= weeks.snapshot_at)
    where versions.subscription_status in ('active', 'trialing')
    group by versions.account_id, weeks.week_start, weeks.snapshot_at, weeks.is_complete
),

account_start as (
    select account_id, min(started_at) as started_at
    from versions
    group by account_id
),

usage_28d as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        sum(activity.weekday_user_days) as weekday_user_days,
        sum(case when activity.week_start = account_weeks.week_start then activity.logins else 0 end) as logins,
        sum(case when activity.week_start >= cast({{ dbt.dateadd('day', -7, 'account_weeks.week_start') }} as date)
            then activity.core_events else 0 end) as core_events_2w,
        sum(case when activity.week_start < cast({{ dbt.dateadd('day', -7, 'account_weeks.week_start') }} as date)
            then activity.core_events else 0 end) as core_events_prior_2w
    from account_weeks
    inner join activity
        on activity.account_id = account_weeks.account_id
        and activity.week_start <= account_weeks.week_start
        and activity.week_start >= cast({{ dbt.dateadd('day', -21, 'account_weeks.week_start') }} as date)
    group by account_weeks.account_id, account_weeks.week_start
),

weekdays_28d as (
    select
        week_start,
        sum(weekdays) over (order by week_start rows between 3 preceding and current row) as weekdays
    from weeks
),

{#- Distinct users (and core features) seen in the 4 weeks up to each week, without
    joining every week to its 4 weeks of rows: a sighting in week w counts for weeks
    w .. w+3, cut short where the next sighting of the same user takes over, so the
    spans never overlap and a running sum of their starts and ends is the distinct count. -#}
seen_spans as (
    select
        account_id,
        kind,
        week_start,
        least(
            coalesce(
                lead(week_start) over (partition by account_id, kind, seen order by week_start),
                cast({{ dbt.dateadd('day', 28, 'week_start') }} as date)
            ),
            cast({{ dbt.dateadd('day', 28, 'week_start') }} as date)
        ) as counted_until
    from seen
),

seen_changes as (
    select
        account_id,
        week_start,
        sum(case when kind = 'user' then 1 else 0 end) as users_change,
        sum(case when kind = 'core_feature' then 1 else 0 end) as core_features_change
    from seen_spans
    group by account_id, week_start

    union all

    select
        account_id,
        counted_until as week_start,
        -sum(case when kind = 'user' then 1 else 0 end) as users_change,
        -sum(case when kind = 'core_feature' then 1 else 0 end) as core_features_change
    from seen_spans
    group by account_id, counted_until

    union all

    -- a row for every account week, so that each has a running total
    select account_id, week_start, 0 as users_change, 0 as core_features_change
    from account_weeks
),

seen_weekly_changes as (
    select
        account_id,
        week_start,
        sum(users_change) as users_change,
        sum(core_features_change) as core_features_change
    from seen_changes
    group by account_id, week_start
),

seen_28d as (
    select
        account_id,
        week_start,
        sum(users_change) over (
            partition by account_id order by week_start rows between unbounded preceding and current row
        ) as users_active_28d,
        sum(core_features_change) over (
            partition by account_id order by week_start rows between unbounded preceding and current row
        ) as core_features_used_28d
    from seen_weekly_changes
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

emails as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        count(*) as emails_60d,
        count(case when e.replied_at < account_weeks.snapshot_at then 1 end) as replied_60d
    from account_weeks
    inner join {{ ref('stg_cs__emails') }} as e
        on e.account_id = account_weeks.account_id
        and e.sent_at < account_weeks.snapshot_at
        and e.sent_at >= {{ dbt.dateadd('day', -60, 'account_weeks.snapshot_at') }}
    group by account_weeks.account_id, account_weeks.week_start
),

qbrs as (
    select distinct account_weeks.account_id, account_weeks.week_start
    from account_weeks
    inner join {{ ref('stg_cs__meetings') }} as m
        on m.account_id = account_weeks.account_id
        and m.meeting_type = 'qbr'
        and m.is_attended
        and m.scheduled_at < account_weeks.snapshot_at
        and m.scheduled_at >= {{ dbt.dateadd('day', -91, 'account_weeks.snapshot_at') }}
),

trainings as (
    select distinct account_weeks.account_id, account_weeks.week_start
    from account_weeks
    inner join {{ ref('stg_cs__trainings') }} as t
        on t.account_id = account_weeks.account_id
        and t.completed_at < account_weeks.snapshot_at
),

contacts as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        max(case when c.contact_role = 'executive_sponsor' and c.is_active
                  and (c.valid_to is null or c.valid_to >= account_weeks.snapshot_at) then 1 else 0 end) as has_active_sponsor,
        max(case when c.contact_role = 'champion' and c.is_active
                  and (c.valid_to is null or c.valid_to >= account_weeks.snapshot_at) then 1 else 0 end) as has_active_champion,
        max(case when c.contact_role = 'executive_sponsor' and not c.is_active
                  and c.valid_from >= cast(account_weeks.week_start as {{ dbt.type_timestamp() }}) then 1 else 0 end) as sponsor_left_this_week,
        max(case when c.contact_role = 'champion' and not c.is_active
                  and c.valid_from >= cast(account_weeks.week_start as {{ dbt.type_timestamp() }}) then 1 else 0 end) as champion_left_this_week
    from account_weeks
    inner join {{ ref('stg_crm__contact_versions') }} as c
        on c.account_id = account_weeks.account_id
        and c.valid_from < account_weeks.snapshot_at
    group by account_weeks.account_id, account_weeks.week_start
),

nps_ranked as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        n.nps_score,
        n.responded_at >= cast(account_weeks.week_start as {{ dbt.type_timestamp() }}) as is_this_week,
        row_number() over (
            partition by account_weeks.account_id, account_weeks.week_start
            order by n.responded_at desc, n.response_id desc
        ) as recency
    from account_weeks
    inner join {{ ref('stg_surveys__nps_responses') }} as n
        on n.account_id = account_weeks.account_id
        and n.responded_at < account_weeks.snapshot_at
),

nps as (
    select
        account_id,
        week_start,
        max(case when recency = 1 then nps_score end) as latest_nps,
        min(case when is_this_week then nps_score end) as lowest_nps_this_week,
        max(case when is_this_week then nps_score end) as highest_nps_this_week
    from nps_ranked
    group by account_id, week_start
),

invoices as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        count(case when i.due_at >= {{ dbt.dateadd('day', -90, 'account_weeks.snapshot_at') }}
                    and (i.paid_at is null or i.paid_at > i.due_at) then 1 end) as late_invoices_90d,
        max(case when i.paid_at is null or i.paid_at >= account_weeks.snapshot_at
                 then {{ dbt.datediff('i.due_at', 'account_weeks.snapshot_at', 'day') }} end) as max_days_overdue
    from account_weeks
    inner join {{ ref('stg_billing__invoices') }} as i
        on i.account_id = account_weeks.account_id
        and i.due_at < account_weeks.snapshot_at
        and i.invoice_status <> 'void'
        and (i.due_at >= {{ dbt.dateadd('day', -90, 'account_weeks.snapshot_at') }}
             or i.paid_at is null or i.paid_at >= account_weeks.snapshot_at)
    group by account_weeks.account_id, account_weeks.week_start
),

mrr_growth as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        max(case when m.month = cast({{ dbt.dateadd('month', -1, dbt.date_trunc('month', 'account_weeks.week_start')) }} as date)
                 then m.mrr end) as mrr_last_month,
        max(case when m.month = cast({{ dbt.dateadd('month', -13, dbt.date_trunc('month', 'account_weeks.week_start')) }} as date)
                 then m.mrr end) as mrr_year_before
    from account_weeks
    inner join {{ ref('int_account_mrr_monthly') }} as m
        on m.account_id = account_weeks.account_id
    group by account_weeks.account_id, account_weeks.week_start
),

renewals as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        max(case when v.subscription_status = 'active'
                  and v.valid_from < account_weeks.snapshot_at
                  and (v.valid_to is null or v.valid_to >= account_weeks.snapshot_at)
                  and {{ dbt.dateadd('month', 12, 'v.started_at') }} <= account_weeks.snapshot_at
                 then 1 else 0 end) as has_renewed,
        max(case when v.is_seat_reduction and v.valid_from < account_weeks.snapshot_at then 1 else 0 end) as has_downgraded
    from account_weeks
    inner join versions as v
        on v.account_id = account_weeks.account_id
    group by account_weeks.account_id, account_weeks.week_start
),

final as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        account_weeks.snapshot_at,
        account_weeks.is_complete,
        account_weeks.licensed_seats,
        {{ dbt.datediff('account_start.started_at', 'account_weeks.snapshot_at', 'day') }} as days_since_start,
        coalesce(usage_28d.logins, 0) as logins,
        coalesce(usage_28d.core_events_2w, 0) as core_events_2w,
        coalesce(usage_28d.core_events_prior_2w, 0) as core_events_prior_2w,
        coalesce(seen_28d.users_active_28d, 0) as users_active_28d,
        round(cast(coalesce(usage_28d.weekday_user_days, 0) as {{ dbt.type_float() }})
              / nullif(weekdays_28d.weekdays, 0) / nullif(account_weeks.licensed_seats, 0), 6) as dau_per_seat_28d,
        round(cast(coalesce(seen_28d.core_features_used_28d, 0) as {{ dbt.type_float() }})
              / nullif(core_feature_count.core_features, 0), 6) as core_adoption_28d,
        case when qbrs.account_id is not null then 1 else 0 end as qbr_attended_last_quarter,
        case when trainings.account_id is not null then 1 else 0 end as training_completed,
        coalesce(emails.emails_60d, 0) as emails_60d,
        round(cast(emails.replied_60d as {{ dbt.type_float() }}) / nullif(emails.emails_60d, 0), 6) as email_reply_rate_60d,
        coalesce(tickets.tickets_30d, 0) as tickets_30d,
        coalesce(tickets.tickets_prior_30d, 0) as tickets_prior_30d,
        round(cast(coalesce(tickets.tickets_30d, 0) - coalesce(tickets.tickets_prior_30d, 0) as {{ dbt.type_float() }})
              / case when coalesce(tickets.tickets_prior_30d, 0) > 1 then tickets.tickets_prior_30d else 1 end, 6)
            as ticket_change_30d,
        round(tickets.csat_90d, 6) as csat_90d,
        coalesce(contacts.has_active_sponsor, 0) as has_active_sponsor,
        coalesce(contacts.has_active_champion, 0) as has_active_champion,
        coalesce(contacts.sponsor_left_this_week, 0) as sponsor_left_this_week,
        coalesce(contacts.champion_left_this_week, 0) as champion_left_this_week,
        nps.latest_nps,
        nps.lowest_nps_this_week,
        nps.highest_nps_this_week,
        coalesce(invoices.late_invoices_90d, 0) as late_invoices_90d,
        coalesce(invoices.max_days_overdue, 0) as max_days_overdue,
        mrr_growth.mrr_last_month,
        mrr_growth.mrr_year_before,
        case when mrr_growth.mrr_year_before > 0 and mrr_growth.mrr_last_month > mrr_growth.mrr_year_before
             then 1 else 0 end as mrr_grew_12m,
        case when renewals.has_renewed = 1 and renewals.has_downgraded = 0 then 1 else 0 end as renewed_without_downgrade
    from account_weeks
    cross join core_feature_count
    inner join weekdays_28d
        on weekdays_28d.week_start = account_weeks.week_start
    left join account_start on account_start.account_id = account_weeks.account_id
    left join usage_28d on usage_28d.account_id = account_weeks.account_id and usage_28d.week_start = account_weeks.week_start
    left join seen_28d on seen_28d.account_id = account_weeks.account_id and seen_28d.week_start = account_weeks.week_start
    left join tickets on tickets.account_id = account_weeks.account_id and tickets.week_start = account_weeks.week_start
    left join emails on emails.account_id = account_weeks.account_id and emails.week_start = account_weeks.week_start
    left join qbrs on qbrs.account_id = account_weeks.account_id and qbrs.week_start = account_weeks.week_start
    left join trainings on trainings.account_id = account_weeks.account_id and trainings.week_start = account_weeks.week_start
    left join contacts on contacts.account_id = account_weeks.account_id and contacts.week_start = account_weeks.week_start
    left join nps on nps.account_id = account_weeks.account_id and nps.week_start = account_weeks.week_start
    left join invoices on invoices.account_id = account_weeks.account_id and invoices.week_start = account_weeks.week_start
    left join mrr_growth on mrr_growth.account_id = account_weeks.account_id and mrr_growth.week_start = account_weeks.week_start
    left join renewals on renewals.account_id = account_weeks.account_id and renewals.week_start = account_weeks.week_start
)

select * from final
