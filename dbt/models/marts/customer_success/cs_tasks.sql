{#- The CS team's work: one task per account and playbook (seed playbooks: trigger x service tier
    -> action, owner role, due in days, priority, resource) for as long as its trigger holds, not
    one per week. A trigger holds in the weeks it fires (int_account_weekly_triggers); an event
    (an alert, a band drop) keeps holding while it fires again within the playbook's due days, so a
    repeat is the same task; a condition (an omission rule) holds only while it is true. The task
    is open while the trigger holds in the as-of week or its grace, closed the week after it cleared.
    Owners: the account's CSM, the CSM's team lead (seed cs_teams) for escalations, or automation. -#}
with

triggers as (
    select * from {{ ref('int_account_weekly_triggers') }}
),

playbooks as (
    select * from {{ ref('playbooks') }}
),

current_tier as (
    select * from {{ ref('int_account_current_tier') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

csms as (
    select * from {{ ref('stg_crm__csms') }}
),

teams as (
    select * from {{ ref('cs_teams') }}
),

latest_week as (
    select week_start from {{ ref('int_as_of_week') }}
),

matched as (
    select
        triggers.account_id,
        triggers.week_start,
        triggers.trigger_name,
        triggers.reason,
        triggers.held_back_reason,
        playbooks.playbook_id,
        playbooks.due_in_days,
        -- weeks a fired event keeps its task open without firing again
        case
            when triggers.trigger_kind = 'event' then cast(ceiling(playbooks.due_in_days / 7.0) as integer)
            else 0
        end as grace_weeks
    from triggers
    inner join current_tier
        on current_tier.account_id = triggers.account_id
    inner join playbooks
        on playbooks.trigger = triggers.trigger_name
        and playbooks.service_tier = current_tier.service_tier
),

-- several firings of one trigger in a week (two NPS answers) are one
weekly as (
    select
        account_id,
        playbook_id,
        week_start,
        max(grace_weeks) as grace_weeks,
        max(due_in_days) as due_in_days,
        max(reason) as reason,
        max(held_back_reason) as held_back_reason
    from matched
    group by account_id, playbook_id, week_start
),

gaps as (
    select
        weekly.*,
        case
            when lag(week_start) over (partition by account_id, playbook_id order by week_start) is null then 1
            when {{ dbt.datediff(
                    'lag(week_start) over (partition by account_id, playbook_id order by week_start)',
                    'week_start', 'day') }} > 7 * (grace_weeks + 1) then 1
            else 0
        end as starts_task
    from weekly
),

numbered as (
    select
        gaps.*,
        sum(starts_task) over (
            partition by account_id, playbook_id order by week_start rows between unbounded preceding and current row
        ) as task_number
    from gaps
),

tasks as (
    select
        account_id,
        playbook_id,
        task_number,
        min(week_start) as opened_week,
        max(week_start) as last_triggered_week,
        count(*) as weeks_triggered,
        max(grace_weeks) as grace_weeks,
        max(due_in_days) as due_in_days
    from numbered
    group by account_id, playbook_id, task_number
),

latest_reason as (
    select account_id, playbook_id, task_number, reason, held_back_reason
    from (
        select
            numbered.*,
            row_number() over (partition by account_id, playbook_id, task_number order by week_start desc) as recency
        from numbered
    ) as ranked
    where recency = 1
),

final as (
    select
        {{ dbt.concat(['tasks.account_id', "'/'", 'tasks.playbook_id', "'/'", dbt.safe_cast('tasks.opened_week', dbt.type_string())]) }}
            as task_id,
        tasks.account_id,
        accounts.account_name,
        current_tier.service_tier,
        playbooks.playbook_id,
        playbooks.trigger as trigger_name,
        playbooks.action,
        playbooks.owner_role,
        case
            when playbooks.owner_role = 'csm' then accounts.csm_id
            when playbooks.owner_role = 'team_lead' then {{ dbt.concat(["'lead:'", 'csms.team']) }}
            else 'automation'
        end as owner_id,
        case
            when playbooks.owner_role = 'csm' then csms.csm_name
            when playbooks.owner_role = 'team_lead' then teams.lead_name
            else 'automation'
        end as owner_name,
        playbooks.priority,
        playbooks.resource,
        latest_reason.reason,
        tasks.opened_week,
        cast({{ dbt.dateadd('day', 'tasks.due_in_days', 'tasks.opened_week') }} as date) as due_on,
        tasks.last_triggered_week,
        tasks.weeks_triggered,
        case
            when {{ dbt.datediff('tasks.last_triggered_week', 'latest_week.week_start', 'day') }} <= 7 * tasks.grace_weeks
                and latest_reason.held_back_reason is not null
                then 'held_back'
            when {{ dbt.datediff('tasks.last_triggered_week', 'latest_week.week_start', 'day') }} <= 7 * tasks.grace_weeks
                then 'open'
            else 'closed'
        end as status,
        case
            when {{ dbt.datediff('tasks.last_triggered_week', 'latest_week.week_start', 'day') }} > 7 * tasks.grace_weeks
                then cast({{ dbt.dateadd('day', '7 * (tasks.grace_weeks + 1)', 'tasks.last_triggered_week') }} as date)
        end as closed_week,
        latest_reason.held_back_reason
    from tasks
    cross join latest_week
    inner join playbooks
        on playbooks.playbook_id = tasks.playbook_id
    inner join current_tier
        on current_tier.account_id = tasks.account_id
    inner join latest_reason
        on latest_reason.account_id = tasks.account_id
        and latest_reason.playbook_id = tasks.playbook_id
        and latest_reason.task_number = tasks.task_number
    left join accounts
        on accounts.account_id = tasks.account_id
    left join csms
        on csms.csm_id = accounts.csm_id
    left join teams
        on teams.team = csms.team
)

select * from final
