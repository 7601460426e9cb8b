{#- Who each automated campaign should reach this week: the open cs_tasks owned by automation (tech
    touch, and the automated sequences of low touch), one row per campaign (playbook) and account. -#}
with

tasks as (
    select * from {{ ref('cs_tasks') }}
),

latest_week as (
    select week_start from {{ ref('int_as_of_week') }}
),

final as (
    select
        latest_week.week_start,
        tasks.playbook_id,
        tasks.action as campaign,
        tasks.resource,
        tasks.trigger_name,
        tasks.account_id,
        tasks.account_name,
        tasks.service_tier,
        tasks.priority,
        tasks.reason,
        tasks.opened_week
    from tasks
    cross join latest_week
    where tasks.owner_role = 'automation'
      and tasks.status = 'open'
)

select * from final
