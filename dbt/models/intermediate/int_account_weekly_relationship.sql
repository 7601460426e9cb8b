{#- The relationship per account and week: an active executive sponsor and champion at the
    snapshot (and whether one left this week), the latest NPS answer, this week's lowest and highest. -#}
with

account_weeks as (
    select * from {{ ref('int_account_weeks') }}
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

final as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        coalesce(contacts.has_active_sponsor, 0) as has_active_sponsor,
        coalesce(contacts.has_active_champion, 0) as has_active_champion,
        coalesce(contacts.sponsor_left_this_week, 0) as sponsor_left_this_week,
        coalesce(contacts.champion_left_this_week, 0) as champion_left_this_week,
        nps.latest_nps,
        nps.lowest_nps_this_week,
        nps.highest_nps_this_week
    from account_weeks
    left join contacts on contacts.account_id = account_weeks.account_id and contacts.week_start = account_weeks.week_start
    left join nps on nps.account_id = account_weeks.account_id and nps.week_start = account_weeks.week_start
)

select * from final
