{#- CS engagement per account and week: a QBR attended in the last 91 days, training ever
    completed, CSM e-mails of the last 60 days and the share replied to. -#}
with

account_weeks as (
    select * from {{ ref('int_account_weeks') }}
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

final as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        case when qbrs.account_id is not null then 1 else 0 end as qbr_attended_last_quarter,
        case when trainings.account_id is not null then 1 else 0 end as training_completed,
        coalesce(emails.emails_60d, 0) as emails_60d,
        {{ ratio('emails.replied_60d', 'coalesce(emails.emails_60d, 0)', 0) }} as email_reply_rate_60d
    from account_weeks
    left join emails on emails.account_id = account_weeks.account_id and emails.week_start = account_weeks.week_start
    left join qbrs on qbrs.account_id = account_weeks.account_id and qbrs.week_start = account_weeks.week_start
    left join trainings on trainings.account_id = account_weeks.account_id and trainings.week_start = account_weeks.week_start
)

select * from final
