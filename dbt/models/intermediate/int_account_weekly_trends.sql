{#- Each account against its own baseline, per week: a level that is normal for one account is
    alarming for another, and the change is what comes before churn (docs/health-score.md, the
    backtest). Windows count the account's own weeks with seats (rows), ending with this one:
    - login_trend_4w: logins per week over the last 4 weeks / over the 8 weeks before them
      (null with fewer than 4 baseline weeks or none logged in them);
    - core_events_baseline_2w: core-feature events per 2 weeks over the 8 weeks before the last 2;
    - reply_rate_change: the 60-day e-mail reply rate minus its average 9 to 26 weeks earlier;
    - nps_change_13w: the latest NPS answer minus the latest one 13 weeks earlier;
    - key_contact_lost_13w: 1 if the champion or the executive sponsor active 13 weeks ago is not now. -#}
with

account_weeks as (
    select * from {{ ref('int_account_weeks') }}
),

activity as (
    select * from {{ ref('int_account_weekly_activity') }}
),

engagement as (
    select * from {{ ref('int_account_weekly_engagement') }}
),

relationship as (
    select * from {{ ref('int_account_weekly_relationship') }}
),

weekly as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        coalesce(activity.logins, 0) as logins,
        coalesce(activity.core_events, 0) as core_events,
        engagement.email_reply_rate_60d,
        relationship.latest_nps,
        relationship.has_active_champion,
        relationship.has_active_sponsor
    from account_weeks
    left join activity
        on activity.account_id = account_weeks.account_id
        and activity.week_start = account_weeks.week_start
    inner join engagement
        on engagement.account_id = account_weeks.account_id
        and engagement.week_start = account_weeks.week_start
    inner join relationship
        on relationship.account_id = account_weeks.account_id
        and relationship.week_start = account_weeks.week_start
),

windowed as (
    select
        account_id,
        week_start,
        email_reply_rate_60d,
        latest_nps,
        has_active_champion,
        has_active_sponsor,
        sum(logins) over (
            partition by account_id order by week_start rows between 3 preceding and current row
        ) as logins_4w,
        sum(logins) over (
            partition by account_id order by week_start rows between 11 preceding and 4 preceding
        ) as logins_baseline,
        count(*) over (
            partition by account_id order by week_start rows between 11 preceding and 4 preceding
        ) as baseline_weeks,
        sum(core_events) over (
            partition by account_id order by week_start rows between 9 preceding and 2 preceding
        ) as core_events_baseline,
        count(*) over (
            partition by account_id order by week_start rows between 9 preceding and 2 preceding
        ) as core_baseline_weeks,
        sum(email_reply_rate_60d) over (
            partition by account_id order by week_start rows between 26 preceding and 9 preceding
        ) as reply_rate_baseline_sum,
        count(email_reply_rate_60d) over (
            partition by account_id order by week_start rows between 26 preceding and 9 preceding
        ) as reply_rate_baseline_weeks,
        lag(latest_nps, 13) over (partition by account_id order by week_start) as nps_13w_ago,
        lag(has_active_champion, 13) over (partition by account_id order by week_start) as champion_13w_ago,
        lag(has_active_sponsor, 13) over (partition by account_id order by week_start) as sponsor_13w_ago
    from weekly
),

final as (
    select
        account_id,
        week_start,
        case
            when baseline_weeks >= 4 and logins_baseline > 0
                then {{ ratio('logins_4w * baseline_weeks', '4 * logins_baseline', 0) }}
        end as login_trend_4w,
        case
            when core_baseline_weeks >= 4
                then {{ ratio('2 * core_events_baseline', 'core_baseline_weeks', 0) }}
        end as core_events_baseline_2w,
        -- the rate minus the average of the baseline weeks, (rate * n - sum) / n, exactly
        case
            when email_reply_rate_60d is not null and reply_rate_baseline_weeks > 0 then {{ signed_ratio(
                'email_reply_rate_60d * reply_rate_baseline_weeks - reply_rate_baseline_sum',
                'reply_rate_baseline_weeks', 6) }}
        end as reply_rate_change,
        latest_nps - nps_13w_ago as nps_change_13w,
        case
            when (champion_13w_ago = 1 and has_active_champion = 0) or (sponsor_13w_ago = 1 and has_active_sponsor = 0)
                then 1
            else 0
        end as key_contact_lost_13w
    from windowed
)

select * from final
