"""The HTML template of the lab report (jinja2, autoescaped)."""

REPORT_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lrplan lab: {{ title }}</title>
<style>
 body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1200px; color: #1d1d1f; padding: 0 1rem; }
 h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
 .muted { color: #666; font-size: .9rem; }
 table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
 th, td { border: 1px solid #ddd; padding: .35rem .6rem; text-align: left; vertical-align: top; }
 th { background: #f4f4f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
 tr.best td { background: #eef8ee; }
 .met { color: #147a14; font-weight: 600; } .notmet { color: #b00020; font-weight: 600; } .desc { color: #555; }
 img { max-width: 100%; border: 1px solid #eee; }
 pre { background: #f7f7f9; padding: .8rem; overflow-x: auto; font-size: .8rem; }
 .box { background: #f7f7fb; border-left: 4px solid #6a5acd; padding: .6rem 1rem; margin: 1rem 0; }
 .box.warn { background: #fff8e6; border-left-color: #d08a00; }
</style>
</head>
<body>
<h1>lrplan lab: {{ title }}</h1>
<p class="muted">{{ n_runs }} runs{% if diverged %} ({{ diverged }} diverged){% endif %} · generated {{ generated }} · {{ versions }}</p>
{% if notes %}<div class="box warn"><b>{{ notes|length }} warning{% if notes|length > 1 %}s{% endif %} while reading the results.</b>
<ul>{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul></div>{% endif %}
{% if description %}<p>{{ description }}</p>{% endif %}
<p class="muted">Learning rate at update k: <code>lr &times; schedule(k)</code>, schedules written with peak 1.0 unless the study's
<code>lrs</code> is [1.0]. Curves show the mean over seeds with a band of ± one standard deviation.</p>
{% if expectation %}<div class="box"><b>Expectation.</b> {{ expectation }}</div>{% endif %}
{% if claims %}
<h2>Did the run meet it?</h2>
<table>
<tr><th>claim</th><th>result</th><th>detail</th></tr>
{% for c in claims %}
<tr><td>{{ c.claim }}</td>
<td>{% if c.met is none %}<span class="desc">descriptive</span>{% elif c.met %}<span class="met">met</span>{% else %}<span class="notmet">not met</span>{% endif %}</td>
<td>{{ c.detail }}</td></tr>
{% endfor %}
</table>
<p><b>Regime.</b> {{ regime }}</p>
{% endif %}
{{ search }}
{% for section in sections %}
<h2>{{ section.title }}</h2>
<img data-figure="{{ section.figure }}" src="data:image/png;base64,{{ section.image }}" alt="learning rate, loss and {{ section.metric }} curves for {{ section.title }}">
<table>
<tr><th>optimizer</th><th>schedule</th><th>peak lr</th><th>seeds</th><th>final {{ section.metric }}{% if section.mode == 'max' %} ↑{% else %} ↓{% endif %}</th>
<th>final val loss</th><th>final train loss</th><th>steps to {{ section.metric }} {{ section.target_text }}</th></tr>
{% for row in section.rows %}
<tr{% if row.best %} class="best"{% endif %}><td>{{ row.optimizer }}</td><td>{{ row.schedule }}</td><td class="num">{{ row.lr }}</td>
<td class="num">{{ row.seeds }}</td><td class="num">{{ row.metric }}</td><td class="num">{{ row.val_loss }}</td>
<td class="num">{{ row.train_loss }}</td><td class="num">{{ row.to_target }}</td></tr>
{% endfor %}
</table>
{% endfor %}
<h2>Configuration</h2>
<table>
<tr><th>schedule label</th><th>spec (peak 1.0 unless lrs is [1.0])</th></tr>
{% for label, spec in schedules %}<tr><td>{{ label }}</td><td><code>{{ spec }}</code></td></tr>{% endfor %}
</table>
{% if task_info %}<p class="muted">Data: {{ task_info }}</p>{% endif %}
<details><summary>study.json</summary><pre>{{ study_json }}</pre></details>
<script>
 // marks the page once every image has loaded (used by headless-browser checks)
 window.addEventListener("load", function () {
   var imgs = Array.prototype.slice.call(document.images);
   document.body.dataset.imagesLoaded = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length + "/" + imgs.length;
 });
</script>
</body>
</html>
"""
