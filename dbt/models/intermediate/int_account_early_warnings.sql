{#- The early warnings for churn that fades neither usage nor the relationship (issue 30), one row per
    account, week and rule that fired; churn_risk_alerts adds them to its alerts (parameters in the
    alert_rules seed, docs/health-score.md):
    - contraction_once / contraction_twice: a subscription's monthly amount cut by at least `threshold`
      (int_account_contract_changes, in the contract's currency) that takes seats from people who used them
      (fewer seats than people active in the 28 days to the week before) or cuts the plan or the deal for
      the same seats; a clean-up of unused seats is not one. Twice when another such cut came within the
      `weeks` weeks before;
    - renewal_adoption_gap: an annual term renews within `weeks` weeks while core adoption (28 days) is at
      most `threshold` (a third: one or two of six core features, half the tier's core_adoption_60 target
      of the seed onboarding_targets) or people active (28 days) are below the tier's active_users target;
      in the first such week of the window and every 4 weeks after while it holds (the backtest counts an
      alert of the 8 weeks before churn; one at 13 weeks would go uncounted however right it was);
    - payment_delays_growing: the last `min_volume` invoices due were each paid (or are still open)
      later than the one before, the latest at least `threshold` days after its due date; in the week it
      becomes true;
    - billing_tickets_after_price_rise: the `min_volume`-th billing ticket (subject words, seed
      ticket_topics) within `weeks` weeks after a price rise of at least `threshold`, in its week: one
      question about a bill is routine, a second after a price change is a reaction. -#}
with

account_weeks as (
    select * from {{ ref('int_account_weeks') }}
),

facts as (
    select * from {{ ref('int_account_weekly_facts') }}
),

changes as (
    select * from {{ ref('int_account_contract_changes') }}
),

versions as (
    select * from {{ ref('int_subscription_versions') }}
),

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
    where invoice_status <> 'void'
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

topics as (
    select * from {{ ref('ticket_topics') }}
    where topic = 'billing'
),

targets as (
    select * from {{ ref('onboarding_targets') }}
),

current_tier as (
    select * from {{ ref('int_account_current_tier') }}
),

params as (
    select * from {{ ref('alert_rules') }}
),

-- the rules' parameters as one row
settings as (
    select
        max(case when rule = 'contraction_once' then threshold end) as once_share,
        max(case when rule = 'contraction_twice' then threshold end) as twice_share,
        max(case when rule = 'contraction_twice' then weeks end) as twice_weeks,
        max(case when rule = 'renewal_adoption_gap' then threshold end) as renewal_adoption,
        max(case when rule = 'renewal_adoption_gap' then weeks end) as renewal_weeks,
        max(case when rule = 'payment_delays_growing' then threshold end) as delay_days,
        max(case when rule = 'payment_delays_growing' then min_volume end) as delay_invoices,
        max(case when rule = 'billing_tickets_after_price_rise' then threshold end) as rise_share,
        max(case when rule = 'billing_tickets_after_price_rise' then weeks end) as rise_weeks,
        max(case when rule = 'billing_tickets_after_price_rise' then min_volume end) as rise_tickets
    from params
),

-- contraction ------------------------------------------------------------------------------------
-- a cut that takes seats from people who used them (fewer seats than people active in the 28 days to the
-- week before), or a cheaper plan or deal for the same seats; a clean-up of seats nobody used is not one
cuts as (
    select
        changes.*,
        users_before.users_active_28d as users_before
    from changes
    cross join settings
    left join facts as users_before
        on users_before.account_id = changes.account_id
        and users_before.snapshot_at <= changes.changed_at
        and users_before.snapshot_at > {{ dbt.dateadd('day', -7, 'changes.changed_at') }}
    where changes.change_kind = 'cut'
      and changes.change_share >= least(settings.once_share, settings.twice_share)
      and (changes.seats = changes.previous_seats or changes.seats < users_before.users_active_28d)
),

cut_weeks as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        max(cuts.change_share) as change_share,
        min(cuts.previous_seats) as previous_seats,
        min(cuts.seats) as seats,
        max(cuts.users_before) as users_before
    from account_weeks
    inner join cuts
        on cuts.account_id = account_weeks.account_id
        and cuts.changed_at >= cast(account_weeks.week_start as {{ dbt.type_timestamp() }})
        and cuts.changed_at < account_weeks.snapshot_at
    group by account_weeks.account_id, account_weeks.week_start
),

earlier_cuts as (
    select
        cut_weeks.account_id,
        cut_weeks.week_start,
        max(cuts.changed_at) as earlier_cut_at
    from cut_weeks
    cross join settings
    inner join cuts
        on cuts.account_id = cut_weeks.account_id
        and cuts.changed_at < cast(cut_weeks.week_start as {{ dbt.type_timestamp() }})
        and cuts.changed_at >= cast({{ dbt.dateadd('day', '-7 * settings.twice_weeks', 'cut_weeks.week_start') }} as {{ dbt.type_timestamp() }})
    where cut_weeks.change_share >= settings.twice_share
      and cuts.change_share >= settings.twice_share
    group by cut_weeks.account_id, cut_weeks.week_start
),

contraction as (
    select
        cut_weeks.account_id,
        cut_weeks.week_start,
        case when earlier_cuts.earlier_cut_at is null then 'contraction_once' else 'contraction_twice' end as rule,
        {{ dbt.concat([
            "'monthly amount cut '", to_text('100 * cut_weeks.change_share', round_to_integer=true), "'%'",
            "case when cut_weeks.seats = cut_weeks.previous_seats then " ~ dbt.concat([
                "' (a cheaper plan or deal for the same '", to_text('cut_weeks.seats'), "' seats)'"
            ]) ~ " else " ~ dbt.concat([
                "' (seats '", to_text('cut_weeks.previous_seats'), "' -> '", to_text('cut_weeks.seats'),
                "' while '", to_text('cut_weeks.users_before'), "' people were active)'"
            ]) ~ " end",
            "case when earlier_cuts.earlier_cut_at is null then '' else " ~ dbt.concat([
                "', the second in '",
                to_text(dbt.datediff('earlier_cuts.earlier_cut_at', 'cut_weeks.week_start', 'day')),
                "' days'"
            ]) ~ " end"
        ]) }} as detail
    from cut_weeks
    cross join settings
    left join earlier_cuts
        on earlier_cuts.account_id = cut_weeks.account_id
        and earlier_cuts.week_start = cut_weeks.week_start
    where earlier_cuts.earlier_cut_at is not null
       or cut_weeks.change_share >= settings.once_share
),

-- adoption ahead of renewal ------------------------------------------------------------------------
annual_terms as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        account_weeks.snapshot_at,
        versions.started_at,
        versions.interval_months,
        cast(floor({{ dbt.datediff('versions.started_at', 'account_weeks.snapshot_at', 'month') }} / versions.interval_months) as integer)
            as terms_elapsed
    from account_weeks
    inner join versions
        on versions.account_id = account_weeks.account_id
        and versions.subscription_status = 'active'
        and versions.interval_months >= 12
        and versions.valid_from < account_weeks.snapshot_at
        and (versions.valid_to is null or versions.valid_to >= account_weeks.snapshot_at)
),

renewals as (
    select
        account_id,
        week_start,
        min(
            case
                when {{ dbt.dateadd('month', 'terms_elapsed * interval_months', 'started_at') }} > snapshot_at
                    then cast({{ dbt.dateadd('month', 'terms_elapsed * interval_months', 'started_at') }} as date)
                else cast({{ dbt.dateadd('month', '(terms_elapsed + 1) * interval_months', 'started_at') }} as date)
            end
        ) as renewal_date,
        min(snapshot_at) as snapshot_at
    from annual_terms
    group by account_id, week_start
),

adoption_targets as (
    select
        current_tier.account_id,
        max(case when targets.milestone = 'core_adoption_60' then targets.target_value end) as core_adoption_target,
        max(case when targets.milestone = 'active_users' then targets.target_value end) as active_users_target
    from current_tier
    inner join targets
        on targets.service_tier = current_tier.service_tier
    group by current_tier.account_id
),

below_ahead_of_renewal as (
    select
        renewals.account_id,
        renewals.week_start,
        renewals.renewal_date,
        {{ dbt.datediff('renewals.snapshot_at', 'renewals.renewal_date', 'day') }} as days_to_renewal,
        facts.core_adoption_28d,
        facts.users_active_28d,
        adoption_targets.core_adoption_target,
        adoption_targets.active_users_target,
        row_number() over (
            partition by renewals.account_id, renewals.renewal_date order by renewals.week_start
        ) as week_in_window
    from renewals
    cross join settings
    inner join facts
        on facts.account_id = renewals.account_id
        and facts.week_start = renewals.week_start
    inner join adoption_targets
        on adoption_targets.account_id = renewals.account_id
    where {{ dbt.datediff('renewals.snapshot_at', 'renewals.renewal_date', 'day') }} <= 7 * settings.renewal_weeks
      and (facts.core_adoption_28d <= settings.renewal_adoption
           or facts.users_active_28d < adoption_targets.active_users_target)
),

renewal_adoption_gap as (
    select
        account_id,
        week_start,
        'renewal_adoption_gap' as rule,
        {{ dbt.concat([
            "'renewal in '", to_text('days_to_renewal'), "' days with core adoption '",
            to_text('100 * core_adoption_28d', round_to_integer=true), "'% (onboarding target '",
            to_text('100 * core_adoption_target', round_to_integer=true), "'%) and '",
            to_text('users_active_28d'), "' people active (target '",
            to_text('active_users_target', round_to_integer=true), "')'"
        ]) }} as detail
    from below_ahead_of_renewal
    where (week_in_window - 1) % 4 = 0
),

-- the bill -------------------------------------------------------------------------------------------
invoice_delays as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        case
            when {{ dbt.datediff('invoices.due_at', 'coalesce(case when invoices.paid_at < account_weeks.snapshot_at then invoices.paid_at end, account_weeks.snapshot_at)', 'day') }} < 0
                then 0
            else {{ dbt.datediff('invoices.due_at', 'coalesce(case when invoices.paid_at < account_weeks.snapshot_at then invoices.paid_at end, account_weeks.snapshot_at)', 'day') }}
        end as days_late,
        row_number() over (
            partition by account_weeks.account_id, account_weeks.week_start
            order by invoices.due_at desc, invoices.invoice_id desc
        ) as recency
    from account_weeks
    inner join invoices
        on invoices.account_id = account_weeks.account_id
        and invoices.due_at < account_weeks.snapshot_at
        and invoices.due_at >= {{ dbt.dateadd('day', -200, 'account_weeks.snapshot_at') }}
),

delay_trends as (
    select
        account_id,
        week_start,
        max(case when recency = 1 then days_late end) as latest_days_late,
        count(*) as invoices_read,
        -- each of the last delay_invoices invoices later than the one before it
        sum(case when days_late > next_older_days_late then 1 else 0 end) as rises
    from (
        select
            invoice_delays.account_id,
            invoice_delays.week_start,
            invoice_delays.recency,
            invoice_delays.days_late,
            lead(invoice_delays.days_late) over (
                partition by invoice_delays.account_id, invoice_delays.week_start order by invoice_delays.recency
            ) as next_older_days_late
        from invoice_delays
        cross join settings
        where invoice_delays.recency <= settings.delay_invoices
    ) as ordered
    group by account_id, week_start
),

delay_weeks as (
    select
        delay_trends.*,
        settings.delay_invoices,
        case
            when delay_trends.invoices_read = settings.delay_invoices
             and delay_trends.rises = settings.delay_invoices - 1
             and delay_trends.latest_days_late >= settings.delay_days then 1
            else 0
        end as is_growing
    from delay_trends
    cross join settings
),

payment_delays_growing as (
    select
        account_id,
        week_start,
        'payment_delays_growing' as rule,
        {{ dbt.concat([
            "'each of the last '", to_text('delay_invoices'),
            "' invoices paid later than the one before; the latest '", to_text('latest_days_late'),
            "' days after its due date'"
        ]) }} as detail
    from (
        select
            delay_weeks.*,
            lag(is_growing) over (partition by account_id order by week_start) as was_growing
        from delay_weeks
    ) as flagged
    where is_growing = 1 and coalesce(was_growing, 0) = 0
),

price_rises as (
    select *
    from changes
    cross join settings
    where change_kind = 'price_rise'
      and change_share >= settings.rise_share
),

billing_tickets as (
    select distinct tickets.ticket_id, tickets.account_id, tickets.created_at
    from tickets
    inner join topics
        on lower(tickets.subject) like {{ dbt.concat(["'%'", 'topics.keyword', "'%'"]) }}
),

-- each billing ticket after a rise, in order: the rule fires in the week the min_volume-th one comes
tickets_after_rises as (
    select
        price_rises.account_id,
        price_rises.changed_at as price_rise_at,
        price_rises.change_share,
        billing_tickets.created_at,
        row_number() over (
            partition by price_rises.account_id, price_rises.subscription_id, price_rises.changed_at
            order by billing_tickets.created_at, billing_tickets.ticket_id
        ) as ticket_number
    from price_rises
    cross join settings
    inner join billing_tickets
        on billing_tickets.account_id = price_rises.account_id
        and billing_tickets.created_at >= price_rises.changed_at
        and billing_tickets.created_at < {{ dbt.dateadd('day', '7 * settings.rise_weeks', 'price_rises.changed_at') }}
),

billing_tickets_after_price_rise as (
    select distinct
        account_weeks.account_id,
        account_weeks.week_start,
        'billing_tickets_after_price_rise' as rule,
        {{ dbt.concat([
            to_text('tickets_after_rises.ticket_number'), "' billing tickets since a price rise of '",
            to_text('100 * tickets_after_rises.change_share', round_to_integer=true), "'% on '",
            to_text('cast(tickets_after_rises.price_rise_at as date)')
        ]) }} as detail
    from tickets_after_rises
    cross join settings
    inner join account_weeks
        on account_weeks.account_id = tickets_after_rises.account_id
        and tickets_after_rises.created_at >= cast(account_weeks.week_start as {{ dbt.type_timestamp() }})
        and tickets_after_rises.created_at < account_weeks.snapshot_at
    where tickets_after_rises.ticket_number = settings.rise_tickets
),

final as (
    select account_id, week_start, rule, detail from contraction
    union all
    select account_id, week_start, rule, detail from renewal_adoption_gap
    union all
    select account_id, week_start, rule, detail from payment_delays_growing
    union all
    select account_id, week_start, rule, detail from billing_tickets_after_price_rise
)

select * from final
