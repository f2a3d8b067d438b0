# Renders the panels of the shipped Grafana dashboard from a real Prometheus's data, with Chart.js, as one HTML
# page (Grafana itself cannot be installed here). Usage: render.py DASHBOARD.json PROMETHEUS_URL START END OUT.html CHART_JS
import json, sys, urllib.parse, urllib.request, re, datetime
dash_file, prom, start, end, out, chartjs = sys.argv[1:7]
start, end = float(start), float(end)
dash = json.load(open(dash_file))
def query(path, **params):
    url = prom + path + '?' + urllib.parse.urlencode(params)
    return json.load(urllib.request.urlopen(url))['data']['result']
def expr(e):
    return e.replace('$__rate_interval', '30s').replace('$__range', '%ds' % int(end - start))
def legend(fmt, labels):
    return re.sub(r'\{\{\s*(\w+)\s*\}\}', lambda m: labels.get(m.group(1), ''), fmt).strip() or json.dumps(labels)
panels = []
for p in dash['panels']:
    unit = p['fieldConfig']['defaults'].get('unit', 'short')
    entry = {'title': p['title'], 'type': p['type'], 'unit': unit, 'grid': p['gridPos'], 'series': []}
    for t in p['targets']:
        if p['type'] == 'stat':
            for r in query('/api/v1/query', query=expr(t['expr']), time=end):
                entry['value'] = float(r['value'][1])
        else:
            for r in query('/api/v1/query_range', query=expr(t['expr']), start=start, end=end, step=5):
                entry['series'].append({'name': legend(t['legendFormat'], r['metric']),
                                        'points': [[float(x) * 1000, float(y)] for x, y in r['values']]})
    panels.append(entry)
when = datetime.datetime.utcfromtimestamp(end).strftime('%Y-%m-%d %H:%M UTC')
html = open(__file__.replace('render.py', 'page.html')).read()
html = html.replace('/*DATA*/', 'const PANELS = ' + json.dumps(panels) + ';\nconst CAPTION = ' + json.dumps(
    'Postroom dashboard panels (distribution/src/grafana/postroom-dashboard.json), its PromQL run against a real '
    'Prometheus 2.42 that scraped a packaged Postroom every 5 s, %s; drawn with Chart.js, not Grafana' % when) + ';')
html = html.replace('/*CHARTJS*/', open(chartjs).read())
open(out, 'w').write(html)
print(len(panels), 'panels')
