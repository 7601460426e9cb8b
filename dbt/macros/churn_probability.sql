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
