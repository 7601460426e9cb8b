{#- The churn probability of a health-score bin (docs/health-score.md, "Churn probability"): the bin's
    outcome rate among the weeks known at fitting time, shrunk towards the overall rate with the weight
    of `prior` weeks: (outcomes_b + prior x outcomes_k / weeks_k) / (weeks_b + prior), in whole numbers
    so every engine gets the same six decimals. -#}
{% macro churn_probability(outcomes_b, weeks_b, outcomes_k, weeks_k, prior) -%}
    {{ ratio(
        '(' ~ outcomes_b ~ ') * (' ~ weeks_k ~ ') + (' ~ prior ~ ') * (' ~ outcomes_k ~ ')',
        '((' ~ weeks_b ~ ') + (' ~ prior ~ ')) * (' ~ weeks_k ~ ')',
        scale=0
    ) }}
{%- endmacro %}

{#- The health-score bin of a score: its lower bound, bins of `width` points, 100 in the top bin. -#}
{% macro score_bin(score, width) -%}
    cast(floor(least({{ score }}, 99) / ({{ width }})) * ({{ width }}) as integer)
{%- endmacro %}

{#- The probability that a renewal is lost (renewal_pipeline, renewal_forecast): the account's 90-day churn
    probability for a renewal within 90 days, 1 - (1 - q)^2 beyond (two 90-day periods), 1 when a
    cancellation is already scheduled. -#}
{% macro renewal_loss_probability(days_to_renewal, churn_probability, is_cancellation_scheduled) -%}
    case
        when {{ is_cancellation_scheduled }} then cast(1 as decimal(12, 6))
        when {{ days_to_renewal }} <= 90 then {{ churn_probability }}
        else cast(round(1 - (1 - {{ churn_probability }}) * (1 - {{ churn_probability }}), 6) as decimal(12, 6))
    end
{%- endmacro %}
