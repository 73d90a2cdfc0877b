/* AI capability timelines dashboard.
 *
 * Reads the service's /v1 API (same origin) and draws everything as plain SVG and HTML tables:
 * no third-party code, nothing loaded from another site. Every number carries its Monte Carlo
 * standard error (MC s.e.) or is an interval whose probability is named.
 *
 * Readiness markers for tests and assistive technology: <main> has data-state="loading" |
 * "ready" | "error" and aria-busy; once ready it also carries data-scenario and data-versus.
 * The run history section has its own data-state.
 *
 * The countries (codes, names, colours, model order) come from the registry the server writes
 * into the page; nothing here names a country. Race answers with `p_first` and `pairs` are drawn
 * for every country and pair; from a server that sends only the two-country fields
 * (`p_<code>_first`, `p_gap_within`, `gap_quantiles`), the page draws those.
 */
(function () {
  "use strict";

  /** The modelled countries as [code, name, colour], in model order (reference first), from the
   * registry the server writes into the page (<script type="application/json" id="countries">). */
  const COUNTRIES = readCountries();
  const BY_DATES = ["2027-12-31", "2030-12-31", "2035-12-31"];
  const FAN_FIRST_YEAR = 2023;
  const FAN_LAST_YEAR = 2040;
  const HISTORY_HEADLINES = 3; // passed runs whose medians the history loads (the API keeps 4 runs loaded)
  const SVG_NS = "http://www.w3.org/2000/svg";
  const MINUS = "\u2212";

  const state = {
    current: null, // RunDetail of the current run
    runs: [], // RunSummary list, newest first
    scenarios: [], // ScenarioInfo list
    baseline: "status_quo",
    priorSets: [], // names
    token: 0, // increments per render; stale answers are dropped
  };

  // -- small utilities ------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, detail, path) {
      super(detail);
      this.status = status;
      this.path = path;
    }
  }

  async function api(path, params) {
    const url = new URL(path, window.location.origin);
    for (const [key, value] of Object.entries(params || {})) {
      if (value === null || value === undefined || value === "") continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        url.searchParams.append(key, String(item));
      }
    }
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    if (!response.ok) {
      const detail = body && body.detail ? body.detail : response.statusText;
      throw new ApiError(response.status, detail, url.pathname);
    }
    return body;
  }

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function s(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  /** Replace a node's children (null and false children are skipped, not written as text). */
  function fill(node, ...children) {
    node.replaceChildren();
    append(node, children);
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function readCountries() {
    const node = document.getElementById("countries");
    let list = [];
    try {
      list = JSON.parse(node ? node.textContent : "[]");
    } catch (_) {
      list = [];
    }
    return list.map((c) => [String(c.code), String(c.name || c.code), String(c.colour || "")]);
  }

  /** Colour a node (and what it holds) as a country's series: CSS reads var(--country). */
  function tint(node, code) {
    const found = COUNTRIES.find(([c]) => c === code);
    if (found && found[2]) node.style.setProperty("--country", found[2]);
    return node;
  }

  /** The race answer's field for P(country first) in the two-country API answer (p_cn_first). */
  function firstKey(code) {
    return `p_${code.toLowerCase()}_first`;
  }

  function finite(x) {
    return typeof x === "number" && Number.isFinite(x);
  }

  /** An MC standard error with `digits` decimals ("<0.01" when it rounds to zero). */
  function fmtSe(x, digits) {
    if (!finite(x)) return "n/a";
    const unit = Math.pow(10, -digits);
    return x < unit / 2 ? "<" + unit.toFixed(digits) : x.toFixed(digits);
  }

  function signed(x, digits) {
    if (!finite(x)) return "n/a";
    const text = Math.abs(x).toFixed(digits);
    if (Number(text) === 0) return text;
    return (x < 0 ? MINUS : "+") + text;
  }

  function fmtP(estimate) {
    return `${estimate.p.toFixed(3)} ± ${fmtSe(estimate.mcse, 3)}`;
  }

  function fmtDelta(delta, digits, unit) {
    if (!delta || !finite(delta.delta)) return "n/a";
    const tail = unit ? " " + unit : "";
    return `${signed(delta.delta, digits)} ± ${fmtSe(delta.mcse, digits)}${tail}`;
  }

  function rootSumSquares(a, b) {
    return finite(a) && finite(b) ? Math.sqrt(a * a + b * b) : NaN;
  }

  /** Difference of two independent estimates (different runs): MC s.e. adds in quadrature. */
  function independentDelta(a, aSe, b, bSe) {
    if (!finite(a) || !finite(b)) return null;
    return { delta: a - b, mcse: rootSumSquares(aSe, bSe) };
  }

  function yearOf(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    const start = Date.UTC(y, 0, 1);
    return y + (Date.UTC(y, m - 1, d) - start) / (Date.UTC(y + 1, 0, 1) - start);
  }

  function quantileRow(rows, q) {
    return rows.find((row) => Math.abs(row.q - q) < 1e-9) || null;
  }

  function countryName(code) {
    const found = COUNTRIES.find(([c]) => c === code);
    return found ? found[1] : code;
  }

  /** P(each country first) of a race answer: its p_first list, or (from a server that does not
   * send it yet) the per-country fields p_<code>_first. Keyed by country code. */
  function raceFirst(race) {
    const out = {};
    if (Array.isArray(race.p_first)) {
      for (const row of race.p_first) out[row.country] = { p: row.p, mcse: row.mcse };
    } else {
      for (const [code] of COUNTRIES) if (race[firstKey(code)]) out[code] = race[firstKey(code)];
    }
    return out;
  }

  /** The pairs of a race answer, or the one pair of the two-country fields: the first two
   * countries that have a p_<code>_first field, gap = second minus first. */
  function racePairs(race) {
    if (Array.isArray(race.pairs)) return race.pairs;
    if (!Array.isArray(race.gap_quantiles)) return [];
    const codes = COUNTRIES.map(([c]) => c).filter((c) => race[firstKey(c)]);
    if (codes.length < 2) return [];
    return [
      {
        first: codes[0],
        second: codes[1],
        p_first_before_second: COUNTRIES.length === 2 ? race[firstKey(codes[0])] : null,
        p_gap_within: race.p_gap_within || [],
        gap_quantiles: race.gap_quantiles,
      },
    ];
  }

  function pairId(pair) {
    return `${pair.first}-${pair.second}`;
  }

  function shortHash(hash) {
    return hash ? String(hash).slice(0, 10) : "n/a";
  }

  function pct(q) {
    return `${Math.round(q * 100)}%`;
  }

  /** Arrival quantile as text: the date, or "later than <horizon end>". */
  function arrivalDate(row, horizonEnd) {
    if (!row) return "n/a";
    return row.later ? `later than ${horizonEnd}` : row.date;
  }

  function setStatus(text, isError) {
    const status = byId("status");
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function setMainState(value, extra) {
    const main = byId("main");
    main.dataset.state = value;
    main.setAttribute("aria-busy", value === "loading" ? "true" : "false");
    for (const [key, val] of Object.entries(extra || {})) main.dataset[key] = val;
  }

  // -- selection ------------------------------------------------------------------------------
  function selection() {
    const scenario = byId("scenario").value || state.baseline;
    const raw = byId("versus").value || "";
    const [kind, name] = raw.includes(":") ? raw.split(/:(.*)/s) : ["none", ""];
    return { scenario, versus: { kind: name ? kind : "none", name: name || "" }, raw };
  }

  function fillScenarioOptions(wantedScenario, wantedVersus) {
    const select = byId("scenario");
    select.replaceChildren(
      ...state.scenarios.map((sc) =>
        h("option", { value: sc.name, text: sc.name === state.baseline ? `${sc.name} (baseline)` : sc.name }),
      ),
    );
    const names = state.scenarios.map((sc) => sc.name);
    select.value = names.includes(wantedScenario) ? wantedScenario : state.baseline;
    fillVersusOptions(wantedVersus);
  }

  function latestPassedRun(priorSet) {
    return (
      state.runs.find(
        (run) => run.status === "passed" && run.prior_set === priorSet && run.id !== state.current.id,
      ) || null
    );
  }

  function fillVersusOptions(wanted) {
    const scenario = byId("scenario").value;
    const scenarioGroup = byId("versus-scenarios");
    scenarioGroup.replaceChildren(
      ...state.scenarios
        .filter((sc) => sc.name !== scenario)
        .map((sc) => h("option", { value: `scenario:${sc.name}`, text: `Scenario ${sc.name}` })),
    );
    const mine = state.current.prior_set.name;
    const priorGroup = byId("versus-priors");
    priorGroup.replaceChildren(
      ...state.priorSets
        .filter((name) => name !== mine)
        .map((name) => {
          const run = latestPassedRun(name);
          const label = run ? `Prior set ${name} (run ${run.id})` : `Prior set ${name} (no passed run)`;
          return h("option", { value: `priors:${name}`, text: label });
        }),
    );
    const select = byId("versus");
    const values = Array.from(select.options).map((o) => o.value);
    select.value = values.includes(wanted) ? wanted : "";
  }

  function describeScenario() {
    const { scenario } = selection();
    const info = state.scenarios.find((sc) => sc.name === scenario);
    const start = info && info.start ? ` From ${info.start}.` : "";
    byId("scenario-description").textContent = info ? `${scenario}: ${info.description}${start}` : "";
  }

  function readUrl() {
    const params = new URLSearchParams(window.location.search);
    return { scenario: params.get("scenario") || "", versus: params.get("versus") || "" };
  }

  function writeUrl(sel) {
    const params = new URLSearchParams();
    if (sel.scenario && sel.scenario !== state.baseline) params.set("scenario", sel.scenario);
    if (sel.raw) params.set("versus", sel.raw);
    const query = params.toString();
    // the hash holds the scenario builder's state: keep it
    const path = query ? `?${query}` : window.location.pathname;
    window.history.replaceState(null, "", path + window.location.hash);
  }

  // -- fetching the answers -------------------------------------------------------------------
  const FAN_DATES = [];
  for (let y = FAN_FIRST_YEAR; y <= FAN_LAST_YEAR; y += 1) FAN_DATES.push(`${y}-01-01`);

  async function fetchTrajectories(run, scenario) {
    const entries = await Promise.all(
      COUNTRIES.map(async ([code]) => [
        code,
        await api("/v1/trajectories", {
          quantity: "frontier_eci",
          country: code,
          at: FAN_DATES,
          scenario,
          run,
        }),
      ]),
    );
    return Object.fromEntries(entries);
  }

  /** Answers of one run under one scenario (no comparison). */
  async function fetchView(run, scenario, label) {
    const [arrival, probability, race, trajectory, threshold] = await Promise.all([
      Promise.all(COUNTRIES.map(([code]) => api("/v1/arrival", { country: code, scenario, run }))),
      Promise.all(
        COUNTRIES.map(([code]) =>
          Promise.all(BY_DATES.map((by) => api("/v1/probability", { country: code, by, scenario, run }))),
        ),
      ),
      api("/v1/race", { scenario, run }),
      fetchTrajectories(run, scenario),
      api("/v1/dashboard/threshold", { scenario, run }),
    ]);
    return {
      label,
      run: arrival[0].run_id,
      scenario,
      arrival: Object.fromEntries(COUNTRIES.map(([code], i) => [code, arrival[i]])),
      probability: Object.fromEntries(COUNTRIES.map(([code], i) => [code, probability[i]])),
      race,
      trajectory,
      threshold,
    };
  }

  /** Two scenarios of the same run: the API's comparisons (paired draws) plus each fan chart. */
  async function fetchScenarioComparison(scenario, versus) {
    const run = state.current.id;
    const [arrival, probability, race, trajA, trajB, thrA, thrB] = await Promise.all([
      Promise.all(COUNTRIES.map(([code]) => api("/v1/arrival", { country: code, scenario, versus, run }))),
      Promise.all(
        COUNTRIES.map(([code]) =>
          Promise.all(
            BY_DATES.map((by) => api("/v1/probability", { country: code, by, scenario, versus, run })),
          ),
        ),
      ),
      api("/v1/race", { scenario, versus, run }),
      fetchTrajectories(run, scenario),
      fetchTrajectories(run, versus),
      api("/v1/dashboard/threshold", { scenario, run }),
      api("/v1/dashboard/threshold", { scenario: versus, run }),
    ]);
    const view = (name, label, traj, thr) => ({
      label,
      run: arrival[0].run_id,
      scenario: name,
      arrival: Object.fromEntries(COUNTRIES.map(([code], i) => [code, arrival[i].answers[name]])),
      probability: Object.fromEntries(
        COUNTRIES.map(([code], i) => [code, probability[i].map((c) => c.answers[name])]),
      ),
      race: race.answers[name],
      trajectory: traj,
      threshold: thr,
    });
    const diff = { kind: "scenario", arrival: {}, probability: {}, race: {} };
    COUNTRIES.forEach(([code], i) => {
      const shift = quantileRow(arrival[i].difference.quantile_shift, 0.5);
      diff.arrival[code] = {
        median:
          shift && finite(shift.delta_years) ? { delta: shift.delta_years, mcse: shift.mcse_years } : null,
      };
      diff.probability[code] = probability[i].map((c) => c.difference.p);
    });
    const paired = race.difference || {};
    diff.race.first = {};
    for (const [code] of COUNTRIES) {
      const row = Array.isArray(paired.p_first) ? paired.p_first.find((r) => r.country === code) : null;
      diff.race.first[code] = row || paired[firstKey(code)] || null;
    }
    return {
      views: [view(scenario, `A: ${scenario}`, trajA, thrA), view(versus, `B: ${versus}`, trajB, thrB)],
      diff,
    };
  }

  /** Two independent runs (prior sets): differences with MC s.e. in quadrature. */
  function independentDiff(a, b) {
    const diff = { kind: "priors", arrival: {}, probability: {}, race: {} };
    for (const [code] of COUNTRIES) {
      const qa = quantileRow(a.arrival[code].quantiles, 0.5);
      const qb = quantileRow(b.arrival[code].quantiles, 0.5);
      diff.arrival[code] = {
        median: independentDelta(qa.year, qa.mcse_years, qb.year, qb.mcse_years),
        p_later: independentDelta(
          a.arrival[code].p_later.p,
          a.arrival[code].p_later.mcse,
          b.arrival[code].p_later.p,
          b.arrival[code].p_later.mcse,
        ),
      };
      diff.probability[code] = a.probability[code].map((pa, i) =>
        independentDelta(pa.p, pa.mcse, b.probability[code][i].p, b.probability[code][i].mcse),
      );
    }
    const [firstA, firstB] = [raceFirst(a.race), raceFirst(b.race)];
    diff.race.first = {};
    for (const [code] of COUNTRIES) {
      const [ea, eb] = [firstA[code], firstB[code]];
      diff.race.first[code] = ea && eb ? independentDelta(ea.p, ea.mcse, eb.p, eb.mcse) : null;
    }
    const [na, nb] = [a.race.p_neither_by_horizon, b.race.p_neither_by_horizon];
    diff.race.neither = independentDelta(na.p, na.mcse, nb.p, nb.mcse);
    diff.race.pairs = {};
    const pairsB = racePairs(b.race);
    for (const pa of racePairs(a.race)) {
      const pb = pairsB.find((p) => pairId(p) === pairId(pa));
      if (!pb) continue;
      const before =
        pa.p_first_before_second && pb.p_first_before_second
          ? independentDelta(
              pa.p_first_before_second.p,
              pa.p_first_before_second.mcse,
              pb.p_first_before_second.p,
              pb.p_first_before_second.mcse,
            )
          : null;
      const within = pa.p_gap_within.map((wa) => {
        const wb = pb.p_gap_within.find((w) => w.years === wa.years);
        return wb ? independentDelta(wa.p, wa.mcse, wb.p, wb.mcse) : null;
      });
      const gap = pa.gap_quantiles.map((ga) => {
        const gb = quantileRow(pb.gap_quantiles, ga.q);
        return gb ? independentDelta(ga.years, ga.mcse_years, gb.years, gb.mcse_years) : null;
      });
      diff.race.pairs[pairId(pa)] = { before, within, gap };
    }
    return diff;
  }

  // -- rendering: run facts -------------------------------------------------------------------
  function fact(term, value) {
    return h("div", null, h("dt", { text: term }), h("dd", null, value));
  }

  function renderRunFacts(run, other) {
    const sampler = run.sampler || {};
    const diag = run.diagnostics || {};
    const rhat = finite(diag.max_rhat) ? diag.max_rhat.toFixed(3) : "n/a";
    const ess = finite(diag.min_ess_bulk) ? Math.round(diag.min_ess_bulk) : "n/a";
    const facts = [
      fact("Run", h("code", { text: run.id })),
      fact("Created", run.created),
      fact("Prior set", `${run.prior_set.name} (hash ${shortHash(run.prior_set.hash)})`),
      fact("Data hash", shortHash(run.data_hash)),
      fact(
        "Sampler",
        `${sampler.sampler || "?"}: ${sampler.chains} chains × ${sampler.draws} draws (tune ${sampler.tune}, seed ${sampler.seed})`,
      ),
      fact("Diagnostics", `max R-hat ${rhat}, min bulk ESS ${ess}, ${diag.divergences ?? "n/a"} divergences`),
      fact(
        "Gate",
        run.status === "passed" ? "passed" : `${run.status}: ${(run.gate_failures || []).join("; ")}`,
      ),
    ];
    if (other) {
      facts.push(
        fact(
          "Compared with (B)",
          h(
            "span",
            null,
            h("code", { text: other.id }),
            ` prior set ${other.prior_set}, created ${other.created}`,
          ),
        ),
      );
    }
    fill(byId("run-facts"), ...facts);
  }

  // -- rendering: headline --------------------------------------------------------------------
  function cell(key, col, text, wrap) {
    return h("td", { class: wrap ? "num wrap" : "num", "data-key": key, "data-col": col, text });
  }

  function renderHeadline(views, diff) {
    const cards = COUNTRIES.map(([code, name]) => {
      const head = h(
        "tr",
        null,
        h("th", { scope: "col", text: "Quantity (probability)" }),
        views.map((v) => h("th", { scope: "col", text: v.label })),
        diff ? h("th", { scope: "col", text: "Difference A − B" }) : null,
      );
      const rows = [];
      const medianCells = views.map((v, i) => {
        const a = v.arrival[code];
        const med = quantileRow(a.quantiles, 0.5);
        const text = med.later
          ? `later than ${a.horizon_end}`
          : `${med.date} ± ${fmtSe(med.mcse_years, 2)} yr`;
        return cell("median", i ? "b" : "a", text);
      });
      rows.push(
        h(
          "tr",
          null,
          h("th", { scope: "row", text: "Median arrival (50%), ± MC s.e." }),
          medianCells,
          diff ? cell("median", "diff", fmtDelta(diff.arrival[code].median, 2, "yr")) : null,
        ),
      );
      const intervalCells = views.map((v, i) => {
        const a = v.arrival[code];
        const lo = quantileRow(a.quantiles, 0.1);
        const hi = quantileRow(a.quantiles, 0.9);
        const text = `${arrivalDate(lo, a.horizon_end)} to ${arrivalDate(hi, a.horizon_end)} (MC s.e. ${fmtSe(lo.mcse_years, 2)} / ${fmtSe(hi.mcse_years, 2)} yr)`;
        return cell("interval", i ? "b" : "a", text, true);
      });
      rows.push(
        h(
          "tr",
          null,
          h("th", { scope: "row", text: "80% interval of arrival (10th–90th percentile)" }),
          intervalCells,
          diff ? cell("interval", "diff", "—") : null,
        ),
      );
      BY_DATES.forEach((by, k) => {
        rows.push(
          h(
            "tr",
            null,
            h("th", { scope: "row", text: `P(arrival by ${by}) ± MC s.e.` }),
            views.map((v, i) => cell(`p-${by.slice(0, 4)}`, i ? "b" : "a", fmtP(v.probability[code][k]))),
            diff ? cell(`p-${by.slice(0, 4)}`, "diff", fmtDelta(diff.probability[code][k], 3)) : null,
          ),
        );
      });
      rows.push(
        h(
          "tr",
          null,
          h("th", {
            scope: "row",
            text: `P(no arrival by the horizon end, ${views[0].arrival[code].horizon_end}) ± MC s.e.`,
          }),
          views.map((v, i) => cell("p-later", i ? "b" : "a", fmtP(v.arrival[code].p_later))),
          diff
            ? cell("p-later", "diff", diff.kind === "priors" ? fmtDelta(diff.arrival[code].p_later, 3) : "—")
            : null,
        ),
      );
      const note =
        diff && diff.kind === "scenario"
          ? h("p", {
              class: "hint",
              text: "Differences are the API's paired differences (same draws) with their MC s.e.; “—”: the API gives no paired difference for that row.",
            })
          : diff
            ? h("p", {
                class: "hint",
                text: "Differences of two independent runs: MC s.e. = √(s.e.A² + s.e.B²).",
              })
            : null;
      const card = h(
        "article",
        { class: "card", id: `headline-${code}`, "data-country": code },
        h("h3", null, h("span", { class: `swatch ${code}`, "aria-hidden": "true" }), name),
        h(
          "div",
          { class: "table-scroll" },
          h(
            "table",
            null,
            h("caption", { text: `${name}: arrival of breakthrough capability` }),
            h("thead", null, head),
            h("tbody", null, rows),
          ),
        ),
        note,
      );
      return tint(card, code);
    });
    byId("headline-cards").classList.toggle("compare", views.length > 1);
    fill(byId("headline-cards"), cards);
  }

  // -- rendering: charts ----------------------------------------------------------------------
  function scale(d0, d1, r0, r1) {
    const k = (r1 - r0) / (d1 - d0 || 1);
    return (x) => r0 + (x - d0) * k;
  }

  /** Round tick values; `whole` keeps steps whole numbers (years). */
  function ticks(min, max, count, whole) {
    const span = max - min;
    if (!(span > 0)) return [min];
    const raw = span / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const steps = [1, 2, 2.5, 5, 10].map((m) => m * mag).filter((st) => !whole || Number.isInteger(st));
    const step = steps.find((st) => span / st <= count) || Math.max(1, 10 * mag);
    const out = [];
    for (let t = Math.ceil(min / step) * step; t <= max + 1e-9; t += step) out.push(Number(t.toFixed(6)));
    return out;
  }

  function linePath(points) {
    const ok = points.filter((p) => finite(p[0]) && finite(p[1]));
    if (!ok.length) return "";
    return "M" + ok.map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join("L");
  }

  function bandPath(upper, lower) {
    const ok = upper.map((p, i) => [p, lower[i]]).filter(([u, l]) => finite(u[1]) && finite(l[1]));
    if (!ok.length) return "";
    const top = ok.map(([u]) => `${u[0].toFixed(1)},${u[1].toFixed(1)}`);
    const bottom = ok.map(([, l]) => `${l[0].toFixed(1)},${l[1].toFixed(1)}`).reverse();
    return `M${top.join("L")}L${bottom.join("L")}Z`;
  }

  function frame(width, height, label) {
    return s("svg", {
      class: "chart",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": label,
      preserveAspectRatio: "xMidYMid meet",
    });
  }

  function axes(svg, geo, xTicks, yTicks, xFmt, yFmt, yTitle) {
    const grid = s("g", { class: "grid" });
    const axis = s("g", { class: "axis" });
    for (const t of yTicks) {
      const y = geo.sy(t);
      grid.append(s("line", { x1: geo.left, x2: geo.right, y1: y, y2: y }));
      axis.append(s("text", { x: geo.left - 6, y: y + 4, "text-anchor": "end", text: yFmt(t) }));
    }
    for (const t of xTicks) {
      const x = geo.sx(t);
      grid.append(s("line", { x1: x, x2: x, y1: geo.top, y2: geo.bottom }));
      axis.append(s("text", { x, y: geo.bottom + 16, "text-anchor": "middle", text: xFmt(t) }));
    }
    axis.append(s("line", { x1: geo.left, x2: geo.right, y1: geo.bottom, y2: geo.bottom }));
    axis.append(s("line", { x1: geo.left, x2: geo.left, y1: geo.top, y2: geo.bottom }));
    axis.append(
      s("text", {
        x: 12,
        y: (geo.top + geo.bottom) / 2,
        transform: `rotate(-90 12 ${(geo.top + geo.bottom) / 2})`,
        "text-anchor": "middle",
        text: yTitle,
      }),
    );
    svg.append(grid, axis);
  }

  /** An HTML legend (it wraps on narrow screens); each key is a tiny SVG sample of the series. */
  function legend(items) {
    return h(
      "ul",
      { class: "legend", "aria-label": "Legend" },
      items.map((item) => {
        const sample = s("svg", {
          class: "chart key",
          viewBox: "0 0 24 12",
          width: 24,
          height: 12,
          "aria-hidden": "true",
        });
        if (item.kind === "line") sample.append(s("path", { class: item.cls, d: "M1,6L23,6" }));
        else sample.append(s("rect", { class: item.cls, x: 0, y: 0, width: 24, height: 12 }));
        const entry = h("li", null, sample, " ", item.label);
        return item.code ? tint(entry, item.code) : entry;
      }),
    );
  }

  function cdfChart(code, views) {
    const width = 600;
    const height = 300;
    const geo = { left: 52, right: width - 22, top: 12, bottom: height - 30 };
    const first = views[0].arrival[code];
    const x0 = yearOf(first.cdf[0].date);
    const x1 = cdfAxisEnd(code, views);
    geo.sx = scale(x0, x1, geo.left, geo.right);
    geo.sy = scale(0, 1, geo.bottom, geo.top);
    const summary = views
      .map((v) => {
        const a = v.arrival[code];
        const med = quantileRow(a.quantiles, 0.5);
        return `${v.label}: median arrival ${medianText(a)}, P(by ${BY_DATES[1]}) ${fmtP(v.probability[code][1])}, P(later than ${a.horizon_end}) ${fmtP(a.p_later)}`;
      })
      .join("; ");
    const svg = frame(width, height, `Arrival CDF, ${countryName(code)}. ${summary}.`);
    axes(
      svg,
      geo,
      ticks(x0, x1, 7, true),
      [0, 0.25, 0.5, 0.75, 1],
      (t) => String(Math.round(t)),
      (t) => t.toFixed(2),
      "P(arrival by date)",
    );
    views.forEach((v, i) => {
      const shown = v.arrival[code].cdf.filter((c) => yearOf(c.date) <= x1 + 1e-9);
      const pts = shown.map((c) => [geo.sx(yearOf(c.date)), c]);
      const upper = pts.map(([x, c]) => [x, geo.sy(Math.min(1, c.p + 2 * c.mcse))]);
      const lower = pts.map(([x, c]) => [x, geo.sy(Math.max(0, c.p - 2 * c.mcse))]);
      const cls = i ? "b" : `a ${code}`;
      if (!i) svg.append(s("path", { class: `band se ${cls}`, d: bandPath(upper, lower) }));
      svg.append(s("path", { class: `line ${cls}`, d: linePath(pts.map(([x, c]) => [x, geo.sy(c.p)])) }));
    });
    externalMarks(svg, geo, code, x0, x1);
    return svg;
  }

  /** Others' forecasts (GET /v1/external) as points on the CDF: a quantile q at date t is the
   * point (t, q), a P(by t) = p the point (t, p). Their events are defined differently from ours
   * (each point's tooltip says how); forecasts about anyone ("world") show on every country. */
  let externalRows = null;
  async function loadExternal() {
    if (externalRows !== null) return;
    try {
      externalRows = (await api("/v1/external")).forecasts;
    } catch (_) {
      externalRows = [];
    }
  }

  function externalMarks(svg, geo, code, x0, x1) {
    for (const row of externalRows || []) {
      if (row.scope !== "world" && row.scope !== code) continue;
      const points = [
        ...row.quantiles.map((q) => [q.year, q.q, `${pct(q.q)} quantile ${q.when}`]),
        ...row.p_by.map((p) => [p.year, p.p, `P(by ${p.when}) = ${p.p}`]),
      ];
      for (const [year, p, what] of points) {
        if (!(year >= x0 && year <= x1)) continue;
        const mark = s("circle", { class: "external", cx: geo.sx(year), cy: geo.sy(p), r: 4 });
        mark.append(
          s("title", { text: `${row.source} (${row.published}): ${row.event}, ${what}. Closest threshold of ours: ${row.maps_to}; definitions differ: ${row.mapping}` }),
        );
        svg.append(mark);
      }
    }
  }

  /** Where the CDF axis ends: a few years after the latest 95th percentile, or the horizon. */
  function cdfAxisEnd(code, views) {
    const cdf = views[0].arrival[code].cdf;
    const horizon = yearOf(cdf[cdf.length - 1].date);
    let latest = yearOf(cdf[0].date) + 5;
    for (const v of views) {
      const q95 = quantileRow(v.arrival[code].quantiles, 0.95);
      if (!q95 || q95.later || !finite(q95.year)) return horizon;
      latest = Math.max(latest, q95.year + 2);
    }
    return Math.min(horizon, Math.ceil(latest / 5) * 5);
  }

  function cdfTable(code, views) {
    const yearly = views[0].arrival[code].cdf.filter((c) => c.date.endsWith("-01-01"));
    const rows = yearly.map((c) => {
      const cells = views.map((v) => {
        const match = v.arrival[code].cdf.find((d) => d.date === c.date);
        return h("td", { class: "num", text: match ? fmtP(match) : "n/a" });
      });
      return h("tr", null, h("th", { scope: "row", text: c.date }), cells);
    });
    return details(
      `Table: arrival CDF of ${countryName(code)} (yearly points)`,
      h(
        "table",
        null,
        h("caption", { text: `P(arrival on or before the date) ± MC s.e., ${countryName(code)}` }),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", { scope: "col", text: "Date" }),
            views.map((v) => h("th", { scope: "col", text: v.label })),
          ),
        ),
        h("tbody", null, rows),
      ),
    );
  }

  function details(summary, content) {
    return h("details", null, h("summary", { text: summary }), h("div", { class: "table-scroll" }, content));
  }

  function trajectoryQuantiles(traj) {
    return traj.points.map((p) => ({
      x: yearOf(p.date),
      date: p.date,
      q: Object.fromEntries(p.quantiles.map((r) => [r.q.toFixed(2), r])),
    }));
  }

  function thresholdValue(thr, q) {
    const row = quantileRow(thr.quantiles, q);
    return row ? row.eci : null;
  }

  /** True when B's threshold band is not A's (another prior set, or a threshold override). */
  function thresholdsDiffer(views) {
    if (!views[1]) return false;
    const [a, b] = [views[0].threshold, views[1].threshold];
    return ![0.05, 0.5, 0.95].every((q) => thresholdValue(a, q) === thresholdValue(b, q));
  }

  function fanChart(code, views) {
    const width = 600;
    const height = 300;
    const geo = { left: 52, right: width - 22, top: 12, bottom: height - 30 };
    const series = views.map((v) => trajectoryQuantiles(v.trajectory[code]));
    const values = [];
    series.forEach((pts) =>
      pts.forEach((p) =>
        ["0.05", "0.95"].forEach((k) => p.q[k] && finite(p.q[k].value) && values.push(p.q[k].value)),
      ),
    );
    views.forEach((v) =>
      [0.05, 0.95].forEach(
        (q) => finite(thresholdValue(v.threshold, q)) && values.push(thresholdValue(v.threshold, q)),
      ),
    );
    let y0 = Math.min(...values);
    let y1 = Math.max(...values);
    const pad = (y1 - y0) * 0.05 || 1;
    y0 -= pad;
    y1 += pad;
    geo.sx = scale(FAN_FIRST_YEAR, FAN_LAST_YEAR, geo.left, geo.right);
    geo.sy = scale(y0, y1, geo.bottom, geo.top);
    const summary = views
      .map((v, i) => {
        const last = series[i][series[i].length - 1];
        const med = last.q["0.50"];
        const thr = quantileRow(v.threshold.quantiles, 0.5);
        return (
          `${v.label}: median frontier ECI on ${last.date} ${med.value.toFixed(1)} ± ${fmtSe(med.mcse, 1)} MC s.e. ` +
          `(90% interval ${last.q["0.05"].value.toFixed(1)} to ${last.q["0.95"].value.toFixed(1)}); ` +
          `threshold median ECI ${thr.eci.toFixed(1)} ± ${fmtSe(thr.eci_mcse, 1)} ` +
          `(90% interval ${thresholdValue(v.threshold, 0.05).toFixed(1)} to ${thresholdValue(v.threshold, 0.95).toFixed(1)})`
        );
      })
      .join("; ");
    const svg = frame(width, height, `Capability fan chart, ${countryName(code)}. ${summary}.`);
    axes(
      svg,
      geo,
      ticks(FAN_FIRST_YEAR, FAN_LAST_YEAR, 9, true),
      ticks(y0, y1, 6),
      (t) => String(Math.round(t)),
      (t) => String(Math.round(t)),
      "Frontier ECI",
    );
    // threshold band (A), then B's threshold edges when they differ
    const thr = views[0].threshold;
    const band = (lo, hi, cls) => {
      const a = thresholdValue(thr, lo);
      const b = thresholdValue(thr, hi);
      if (!finite(a) || !finite(b)) return;
      svg.append(
        s("rect", {
          class: cls,
          x: geo.left,
          width: geo.right - geo.left,
          y: geo.sy(b),
          height: Math.max(1, geo.sy(a) - geo.sy(b)),
        }),
      );
    };
    band(0.05, 0.95, "threshold outer");
    band(0.25, 0.75, "threshold inner");
    const thrMed = thresholdValue(thr, 0.5);
    svg.append(
      s("path", {
        class: "threshold median",
        d: `M${geo.left},${geo.sy(thrMed)}L${geo.right},${geo.sy(thrMed)}`,
      }),
    );
    if (thresholdsDiffer(views)) {
      const other = views[1].threshold;
      for (const q of [0.05, 0.5, 0.95]) {
        const y = geo.sy(thresholdValue(other, q));
        svg.append(s("path", { class: "threshold b", d: `M${geo.left},${y}L${geo.right},${y}` }));
      }
    }
    // data end
    const dataEnd = state.current.data_end;
    if (finite(dataEnd) && dataEnd > FAN_FIRST_YEAR && dataEnd < FAN_LAST_YEAR) {
      const x = geo.sx(dataEnd);
      svg.append(s("line", { class: "dataend", x1: x, x2: x, y1: geo.top, y2: geo.bottom }));
      svg.append(s("text", { x: x + 4, y: geo.bottom - 6, text: "data end" }));
    }
    series.forEach((pts, i) => {
      const at = (k) => pts.map((p) => [geo.sx(p.x), p.q[k] ? geo.sy(p.q[k].value) : NaN]);
      if (!i) {
        svg.append(s("path", { class: `band outer a ${code}`, d: bandPath(at("0.95"), at("0.05")) }));
        svg.append(s("path", { class: `band inner a ${code}`, d: bandPath(at("0.75"), at("0.25")) }));
        svg.append(s("path", { class: `line a ${code}`, d: linePath(at("0.50")) }));
      } else {
        svg.append(s("path", { class: "edge b", d: linePath(at("0.95")) }));
        svg.append(s("path", { class: "edge b", d: linePath(at("0.05")) }));
        svg.append(s("path", { class: "line b", d: linePath(at("0.50")) }));
      }
    });
    return svg;
  }

  function fanTable(code, views) {
    const series = views.map((v) => trajectoryQuantiles(v.trajectory[code]));
    const head = h(
      "tr",
      null,
      h("th", { scope: "col", text: "Date" }),
      views.map((v) => [
        h("th", { scope: "col", text: `${v.label}: median ± MC s.e.` }),
        h("th", { scope: "col", text: `${v.label}: 50% interval (25–75th pct.)` }),
        h("th", { scope: "col", text: `${v.label}: 90% interval (5–95th pct.)` }),
      ]),
    );
    const fmt = (r) => (r && finite(r.value) ? r.value.toFixed(1) : "n/a");
    const rows = series[0].map((p, k) =>
      h(
        "tr",
        null,
        h("th", { scope: "row", text: p.date }),
        series.map((pts) => {
          const q = pts[k].q;
          return [
            h("td", { class: "num", text: `${fmt(q["0.50"])} ± ${fmtSe(q["0.50"].mcse, 1)}` }),
            h("td", { class: "num", text: `${fmt(q["0.25"])} to ${fmt(q["0.75"])}` }),
            h("td", { class: "num", text: `${fmt(q["0.05"])} to ${fmt(q["0.95"])}` }),
          ];
        }),
      ),
    );
    const thrRows = [0.05, 0.25, 0.5, 0.75, 0.95].map((q) =>
      h(
        "tr",
        null,
        h("th", { scope: "row", text: `${pct(q)} quantile` }),
        views.map((v) => {
          const row = quantileRow(v.threshold.quantiles, q);
          const hours = (x) => (finite(x) ? (x / 60).toFixed(0) : "n/a");
          const horizon = `${hours(row.horizon_minutes)} ± ${fmtSe(row.horizon_minutes_mcse / 60, 0)} h`;
          return h("td", {
            class: "num",
            text: `ECI ${row.eci.toFixed(1)} ± ${fmtSe(row.eci_mcse, 1)} (METR 50% horizon ${horizon})`,
          });
        }),
      ),
    );
    return [
      details(
        `Table: frontier ECI of ${countryName(code)} by year`,
        h(
          "table",
          null,
          h("caption", { text: `Frontier ECI quantiles, ${countryName(code)} (posterior predictive)` }),
          h("thead", null, head),
          h("tbody", null, rows),
        ),
      ),
      details(
        "Table: the threshold band",
        h(
          "table",
          null,
          h("caption", {
            text: "Breakthrough threshold on the ECI scale (quantiles over the posterior draws)",
          }),
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", { scope: "col", text: "Level" }),
              views.map((v) => h("th", { scope: "col", text: `${v.label} (${v.threshold.source})` })),
            ),
          ),
          h("tbody", null, thrRows),
        ),
      ),
    ];
  }

  function cdfLegend(code, views) {
    const items = views.map((v, i) => ({
      kind: "line",
      cls: i ? "line b" : `line a ${code}`,
      label: v.label,
    }));
    items.push({
      kind: "rect",
      cls: `band se a ${code}`,
      label: `${views[0].label.slice(0, 1)} ± 2 MC s.e.`,
    });
    return legend(items);
  }

  function fanLegend(code, views) {
    const items = [
      { kind: "line", cls: `line a ${code}`, label: `${views[0].label}: median` },
      { kind: "rect", cls: `band inner a ${code}`, label: "50% interval" },
      { kind: "rect", cls: `band outer a ${code}`, label: "90% interval" },
    ];
    if (views[1]) {
      items.push({ kind: "line", cls: "line b", label: `${views[1].label}: median` });
      items.push({ kind: "line", cls: "edge b", label: `${views[1].label}: 90% interval` });
    }
    const who = views[1] ? `${views[0].label.slice(0, 1)}: ` : "";
    items.push({ kind: "rect", cls: "threshold inner", label: `${who}threshold 50%` });
    items.push({ kind: "rect", cls: "threshold outer", label: `${who}threshold 90%` });
    items.push({ kind: "line", cls: "threshold median", label: `${who}threshold median` });
    if (thresholdsDiffer(views)) {
      items.push({ kind: "line", cls: "threshold b", label: `${views[1].label}: threshold median and 90%` });
    }
    return legend(items);
  }

  function cdfCaption(code, name, views) {
    const cdf = views[0].arrival[code].cdf;
    const end = cdfAxisEnd(code, views);
    const horizon = cdf[cdf.length - 1].date;
    const cut =
      end < yearOf(horizon) - 1e-9
        ? ` The axis ends in ${Math.round(end)}, after every 95th percentile; the CDF goes on to the horizon end (${horizon}), see the table.`
        : "";
    return `Arrival CDF, ${name}.${cut}`;
  }

  function renderCharts(views) {
    const blocks = COUNTRIES.map(([code, name]) => {
      const block = h(
        "section",
        { class: "country", id: `charts-${code}`, "aria-label": `Charts, ${name}` },
        h("h3", null, h("span", { class: `swatch ${code}`, "aria-hidden": "true" }), name),
        h(
          "div",
          { class: "country-charts" },
          h(
            "figure",
            null,
            cdfLegend(code, views),
            cdfChart(code, views),
            h("figcaption", { text: cdfCaption(code, name, views) }),
            cdfTable(code, views),
          ),
          h(
            "figure",
            null,
            fanLegend(code, views),
            fanChart(code, views),
            h("figcaption", { text: `Frontier ECI fan chart with the threshold band, ${name}` }),
            fanTable(code, views),
          ),
        ),
      );
      return tint(block, code);
    });
    fill(byId("country-charts"), ...blocks);
  }

  // -- rendering: race ------------------------------------------------------------------------
  /** The shares of one race answer stacked left to right: each country first, then nobody. */
  function raceShares(race) {
    const first = raceFirst(race);
    const shares = COUNTRIES.filter(([code]) => first[code]).map(([code, name]) => ({
      code,
      label: `${code} first`,
      name: `${name} first`,
      estimate: first[code],
    }));
    shares.push({
      code: null,
      label: "nobody",
      name: "no country by the horizon end",
      estimate: race.p_neither_by_horizon,
    });
    return shares;
  }

  function raceBars(views) {
    const width = 600;
    const rowH = 34;
    const height = 30 + rowH * views.length;
    const left = 150;
    const right = width - 14;
    const sx = scale(0, 1, left, right);
    const summary = views
      .map(
        (v) =>
          `${v.label}: ` +
          raceShares(v.race)
            .map((share) => `P(${share.name}) ${fmtP(share.estimate)}`)
            .join(", "),
      )
      .join("; ");
    const svg = s("svg", {
      class: "chart",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": `Who reaches the threshold first. ${summary}.`,
    });
    views.forEach((v, i) => {
      const y = 8 + i * rowH;
      svg.append(s("text", { x: 4, y: y + 17, text: v.label }));
      let x = 0;
      for (const share of raceShares(v.race)) {
        const p = share.estimate.p;
        if (p > 0) {
          const bar = s("rect", {
            class: share.code ? `bar first ${share.code}` : "bar neither",
            x: sx(x),
            y,
            width: Math.max(0, sx(x + p) - sx(x)),
            height: rowH - 8,
          });
          if (share.code) tint(bar, share.code);
          svg.append(bar);
          if (p > 0.2) {
            svg.append(
              s("text", {
                class: `bar-label${share.code ? " light" : ""}`,
                x: sx(x) + 5,
                y: y + 17,
                text: `${share.label} ${p.toFixed(2)} ± ${fmtSe(share.estimate.mcse, 2)}`,
              }),
            );
          }
        }
        x += p;
      }
    });
    const axisY = 8 + views.length * rowH + 12;
    for (const t of [0, 0.25, 0.5, 0.75, 1]) {
      svg.append(s("text", { x: sx(t), y: axisY, "text-anchor": "middle", text: t.toFixed(2) }));
    }
    return svg;
  }

  function raceHead(views, diff) {
    return h(
      "tr",
      null,
      h("th", { scope: "col", text: "Quantity (probability)" }),
      views.map((v) => h("th", { scope: "col", text: v.label })),
      diff ? h("th", { scope: "col", text: "Difference A − B" }) : null,
    );
  }

  /** A table row: a label, one cell per view, and the difference cell when comparing. */
  function raceRow(views, diff, key, label, value, diffText) {
    return h(
      "tr",
      null,
      h("th", { scope: "row", text: label }),
      views.map((v, i) => cell(key, i ? "b" : "a", value(v))),
      diff ? cell(key, "diff", diffText) : null,
    );
  }

  function gapText(row, pair) {
    if (!row) return "n/a";
    if (!finite(row.years)) {
      const never = [pair.first, pair.second].find((c) => row.side === `${c.toLowerCase()}_never`);
      return never ? `${countryName(never)} never (by the horizon)` : "n/a";
    }
    return `${signed(row.years, 2)} ± ${fmtSe(row.mcse_years, 2)} yr`;
  }

  /** One pair's table: P(first before second), P(|gap| <= k) and the gap quantiles. */
  function pairTable(views, diff, pair) {
    const id = pairId(pair);
    const [a, b] = [countryName(pair.first), countryName(pair.second)];
    const find = (v) => racePairs(v.race).find((p) => pairId(p) === id) || null;
    const pd = diff && diff.race.pairs ? diff.race.pairs[id] : null;
    const rows = [];
    if (pair.p_first_before_second) {
      rows.push(
        raceRow(
          views,
          diff,
          "before",
          `P(${a} reaches it before ${b}) ± MC s.e.`,
          (v) => (find(v) && find(v).p_first_before_second ? fmtP(find(v).p_first_before_second) : "n/a"),
          pd && pd.before ? fmtDelta(pd.before, 3) : "—",
        ),
      );
    }
    pair.p_gap_within.forEach((w, k) => {
      rows.push(
        raceRow(
          views,
          diff,
          `within-${w.years}`,
          `P(|gap| ≤ ${w.years} yr) ± MC s.e.`,
          (v) => {
            const other = find(v);
            const match = other ? other.p_gap_within.find((x) => x.years === w.years) : null;
            return match ? fmtP(match) : "n/a";
          },
          pd && pd.within[k] ? fmtDelta(pd.within[k], 3) : "—",
        ),
      );
    });
    pair.gap_quantiles.forEach((g, k) => {
      rows.push(
        raceRow(
          views,
          diff,
          `gap-${g.q}`,
          `Gap, ${pct(g.q)} quantile (${pair.second} − ${pair.first}) ± MC s.e.`,
          (v) => (find(v) ? gapText(quantileRow(find(v).gap_quantiles, g.q), pair) : "n/a"),
          pd && pd.gap[k] ? fmtDelta(pd.gap[k], 2, "yr") : "—",
        ),
      );
    });
    return h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { id: `race-pair-${id}`, class: "race-pair", "data-first": pair.first, "data-second": pair.second },
        h("caption", {
          text: `${a} and ${b}: gap = ${b}'s arrival minus ${a}'s, in years (negative: ${b} first)`,
        }),
        h("thead", null, raceHead(views, diff)),
        h("tbody", null, rows),
      ),
    );
  }

  function renderRace(views, diff) {
    const rows = [];
    const first = views.map((v) => raceFirst(v.race));
    for (const [code, name] of COUNTRIES) {
      if (!first[0][code]) continue;
      const delta = diff && diff.race.first ? diff.race.first[code] : null;
      rows.push(
        raceRow(
          views,
          diff,
          firstKey(code),
          `P(${name} reaches the threshold first) ± MC s.e.`,
          (v) => {
            const estimate = raceFirst(v.race)[code];
            return estimate ? fmtP(estimate) : "n/a";
          },
          delta ? fmtDelta(delta, 3) : "—",
        ),
      );
    }
    rows.push(
      raceRow(
        views,
        diff,
        "p_neither_by_horizon",
        `P(no country by the horizon end, ${views[0].race.horizon_end}) ± MC s.e.`,
        (v) => fmtP(v.race.p_neither_by_horizon),
        diff && diff.race.neither ? fmtDelta(diff.race.neither, 3) : "—",
      ),
    );
    const legendItems = COUNTRIES.filter(([code]) => first[0][code]).map(([code, name]) => ({
      kind: "rect",
      cls: `bar first ${code}`,
      label: `${name} first`,
      code,
    }));
    legendItems.push({ kind: "rect", cls: "bar neither", label: "no country by the horizon end" });
    const pairs = racePairs(views[0].race);
    const named = COUNTRIES.filter(([code]) => first[0][code]).map(([, name]) => name);
    const missing = COUNTRIES.filter(([code]) => !first[0][code]).map(([, name]) => name);
    fill(
      byId("race-body"),
      h(
        "figure",
        { class: "race-figure" },
        legend(legendItems),
        raceBars(views),
        h("figcaption", {
          text: "Who reaches the threshold first (shares of the posterior draws; numbers with MC s.e. in the table)",
        }),
      ),
      h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          { id: "race-table" },
          h("caption", { text: `Who reaches the threshold first among ${COUNTRIES.length} countries` }),
          h("thead", null, raceHead(views, diff)),
          h("tbody", null, rows),
        ),
      ),
      missing.length
        ? h("p", {
            class: "note",
            role: "note",
            id: "race-missing",
            text:
              `The API's race answer gives P(first) for ${named.join(", ") || "no country"} only: ` +
              `this server does not send every country's (p_first) yet, so ${missing.join(", ")} ` +
              "and the pairs it is in are not shown.",
          })
        : null,
      pairs.length ? h("h3", { text: "Pairs of countries" }) : null,
      pairs.map((pair) => pairTable(views, diff, pair)),
      diff && diff.kind === "scenario"
        ? h("p", {
            class: "hint",
            text: "“—”: the API gives no paired difference for that row.",
          })
        : null,
    );
  }

  // -- render ---------------------------------------------------------------------------------
  async function render() {
    const token = ++state.token;
    const sel = selection();
    describeScenario();
    writeUrl(sel);
    setMainState("loading");
    setStatus("Loading the answers…");
    const note = byId("comparison-note");
    note.hidden = true;
    note.textContent = "";
    try {
      let views;
      let diff = null;
      let other = null;
      if (sel.versus.kind === "scenario") {
        ({ views, diff } = await fetchScenarioComparison(sel.scenario, sel.versus.name));
      } else if (sel.versus.kind === "priors") {
        other = latestPassedRun(sel.versus.name);
        const a = fetchView(state.current.id, sel.scenario, `A: ${state.current.prior_set.name}`);
        if (other) {
          const b = fetchView(other.id, sel.scenario, `B: ${sel.versus.name}`);
          views = await Promise.all([a, b]);
          diff = independentDiff(views[0], views[1]);
        } else {
          views = [await a];
          note.textContent =
            `No passed run of prior set “${sel.versus.name}” is stored, so there is nothing to compare with. ` +
            `Fit one with: forecast fit --priors ${sel.versus.name} (or POST /v1/refits). Showing scenario A only.`;
          note.hidden = false;
        }
      } else {
        views = [await fetchView(state.current.id, sel.scenario, `A: ${sel.scenario}`)];
      }
      await loadExternal();
      if (token !== state.token) return; // a newer selection is being drawn
      renderRunFacts(state.current, other);
      renderHeadline(views, diff);
      renderCharts(views);
      renderRace(views, diff);
      const what =
        views.length > 1
          ? `comparing ${views[0].label} (run ${views[0].run}, scenario ${views[0].scenario}) with ${views[1].label} (run ${views[1].run}, scenario ${views[1].scenario})`
          : `scenario ${sel.scenario}`;
      setStatus(`Showing run ${state.current.id}, ${what}.`);
      setMainState("ready", { scenario: sel.scenario, versus: views.length > 1 ? sel.raw : "" });
      renderStructures(sel.scenario).catch((error) => {
        if (byId("scenario").value !== sel.scenario) return;
        fill(byId("structures-body"), h("p", { class: "note", text: `Could not load the structures: ${error.message}` }));
        byId("structures-status").textContent = "";
        byId("structures").dataset.state = "error";
      });
    } catch (error) {
      if (token !== state.token) return;
      setStatus(`Could not load the answers: ${error.message}`, true);
      setMainState("error");
    }
  }

  // -- model structures: weights and each scenario's effect per structure ----------------------
  function shiftCell(value, mcse, digits, unit, none) {
    const text = finite(value) ? `${signed(value, digits)} ± ${fmtSe(mcse, digits)}${unit}` : none;
    return h("td", { class: "num", text });
  }

  function looText(row) {
    if (!finite(row.elpd_loo)) return "n/a";
    return `${row.elpd_loo.toFixed(1)} ± ${fmtSe(row.se, 1)}`;
  }

  function heldOutText(row) {
    if (!finite(row.elpd_lfo)) return "n/a";
    return `${row.elpd_lfo.toFixed(1)} ± ${fmtSe(row.lfo_se, 1)}`;
  }

  async function renderStructures(scenario) {
    const section = byId("structures");
    const status = byId("structures-status");
    section.dataset.state = "loading";
    status.textContent = "Loading the structures…";
    const answer = await api("/v1/dashboard/structures", { scenario, run: state.current.id });
    if (byId("scenario").value !== scenario) return; // a newer selection is being drawn
    const codes = COUNTRIES.map(([code]) => code);
    const table = h(
      "table",
      { id: "structures-table" },
      h("caption", { text: `Structures of run ${answer.run_id}; weights by ${answer.method || "n/a"}` }),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ["Structure", "Weight", "Gate", "Held-out elpd ± s.e.", "LOO weight", "elpd_loo ± s.e.", "elpd difference ± s.e.", "Max Pareto k (terms > 0.7)"].map((t) =>
            h("th", { scope: "col", text: t }),
          ),
        ),
      ),
      h(
        "tbody",
        null,
        answer.structures.map((row) =>
          h(
            "tr",
            { "data-structure": row.structure },
            h("th", { scope: "row", title: row.description }, h("code", { text: row.structure }), h("br"), h("span", { class: "hint", text: row.description })),
            h("td", { class: "num weight", text: row.weight.toFixed(3) }),
            h("td", { text: row.status || "n/a" }),
            h("td", { class: "num", text: heldOutText(row) }),
            h("td", { class: "num", text: finite(row.loo_weight) ? row.loo_weight.toFixed(3) : "n/a" }),
            h("td", { class: "num", text: looText(row) }),
            shiftCell(row.elpd_diff, row.dse, 1, "", "n/a"),
            h("td", { class: "num", text: finite(row.pareto_k_max) ? `${row.pareto_k_max.toFixed(2)} (${row.n_pareto_k_high})` : "n/a" }),
          ),
        ),
      ),
    );
    const effects = h(
      "table",
      { id: "structures-effects" },
      h("caption", {
        text: `${answer.scenario ? `Scenario ${answer.scenario}` : "Every scenario"} against ${answer.versus}: shift of the median arrival (years) and of P(first), ± MC s.e.; “later”: the median lies beyond the horizon`,
      }),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col", text: "Scenario" }),
          h("th", { scope: "col", text: "Draws" }),
          codes.map((c) => tint(h("th", { scope: "col", text: `${countryName(c)}: median shift` }), c)),
          codes.map((c) => tint(h("th", { scope: "col", text: `P(${countryName(c)} first) shift` }), c)),
        ),
      ),
      h(
        "tbody",
        null,
        answer.effects.map((row) => {
          const by = Object.fromEntries(row.countries.map((e) => [e.country, e]));
          return h(
            "tr",
            { "data-scenario": row.scenario, "data-structure": row.structure, class: row.structure === "mixture" ? "mixture-row" : null },
            h("td", { text: row.scenario }),
            h("th", { scope: "row" }, h("code", { text: row.structure }), row.structure === "mixture" ? "" : ` (weight ${row.weight.toFixed(3)})`),
            codes.map((c) => shiftCell(by[c] && by[c].median_shift_years, by[c] && by[c].median_shift_mcse, 2, " yr", "later")),
            codes.map((c) => shiftCell(by[c] && by[c].p_first_shift, by[c] && by[c].p_first_shift_mcse, 3, "", "n/a")),
          );
        }),
      ),
    );
    fill(
      byId("structures-body"),
      h("div", { class: "table-scroll" }, table),
      answer.note ? h("p", { class: "note", text: answer.note }) : null,
      h("div", { class: "table-scroll" }, effects),
    );
    status.textContent = "";
    section.dataset.state = "ready";
    section.dataset.scenario = scenario;
  }

  // -- run history ----------------------------------------------------------------------------
  async function medians(runId) {
    const answers = await Promise.all(
      COUNTRIES.map(([code]) => api("/v1/arrival", { country: code, q: 0.5, cdf: false, run: runId })),
    );
    return Object.fromEntries(COUNTRIES.map(([code], i) => [code, answers[i]]));
  }

  function medianText(answer) {
    const med = quantileRow(answer.quantiles, 0.5);
    return med.later ? `later than ${answer.horizon_end}` : `${med.date} ± ${fmtSe(med.mcse_years, 2)} yr`;
  }

  async function renderHistory() {
    const section = byId("history");
    const runs = state.runs;
    const passed = runs.filter((r) => r.status === "passed");
    const loaded = {};
    for (const run of passed.slice(0, HISTORY_HEADLINES)) {
      try {
        loaded[run.id] = await medians(run.id);
      } catch (error) {
        loaded[run.id] = { error: error.message };
      }
    }
    const head = h(
      "tr",
      null,
      [
        "Created",
        "Run",
        "Status",
        "Prior set",
        "Data hash",
        "Diagnostics",
        "Median arrival, status_quo (50%) ± MC s.e.",
        "What changed vs the previous passed run",
      ].map((t) => h("th", { scope: "col", text: t })),
    );
    const rows = runs.map((run, index) => {
      // the runs come newest first: the previous passed run is the next passed one in the list
      const previous = runs.slice(index + 1).find((r) => r.status === "passed") || null;
      const changes = [];
      if (run.status !== "passed") changes.push("failed the diagnostics gate: never serves answers");
      if (!previous) {
        changes.push(run.status === "passed" ? "first passed run" : "no earlier passed run");
      } else {
        if (previous.prior_set !== run.prior_set)
          changes.push(`prior set ${previous.prior_set} → ${run.prior_set}`);
        else if (previous.prior_hash !== run.prior_hash)
          changes.push(
            `prior set ${run.prior_set} edited (hash ${shortHash(previous.prior_hash)} → ${shortHash(run.prior_hash)})`,
          );
        if (previous.data_hash !== run.data_hash)
          changes.push(`data changed (hash ${shortHash(previous.data_hash)} → ${shortHash(run.data_hash)})`);
        if (
          previous.prior_set === run.prior_set &&
          previous.prior_hash === run.prior_hash &&
          previous.data_hash === run.data_hash
        ) {
          changes.push("same prior set and data (a refit)");
        }
        const mine = loaded[run.id];
        const theirs = loaded[previous.id];
        if (run.status === "passed" && mine && theirs && !mine.error && !theirs.error) {
          const deltas = COUNTRIES.map(([code]) => {
            const a = quantileRow(mine[code].quantiles, 0.5);
            const b = quantileRow(theirs[code].quantiles, 0.5);
            return `${code} ${fmtDelta(independentDelta(a.year, a.mcse_years, b.year, b.mcse_years), 2, "yr")}`;
          });
          changes.push(`median arrival ${deltas.join(", ")}`);
        } else if (run.status === "passed") {
          changes.push(
            `median change not loaded (the page loads the ${HISTORY_HEADLINES} newest passed runs)`,
          );
        }
      }
      const mine = loaded[run.id];
      let medianCell;
      if (run.status !== "passed") medianCell = "not served";
      else if (!mine) medianCell = `not loaded (see /v1/arrival?run=${run.id})`;
      else if (mine.error) medianCell = `could not load: ${mine.error}`;
      else medianCell = COUNTRIES.map(([code]) => `${code} ${medianText(mine[code])}`).join("; ");
      const rhat = finite(run.max_rhat) ? run.max_rhat.toFixed(3) : "n/a";
      const ess = finite(run.min_ess_bulk) ? Math.round(run.min_ess_bulk) : "n/a";
      return h(
        "tr",
        { "data-run": run.id, class: run.current ? "current" : null },
        h("td", { text: run.created }),
        h("td", null, h("code", { text: run.id }), run.current ? " (current)" : ""),
        h("td", { text: run.status }),
        h("td", { text: `${run.prior_set} (${shortHash(run.prior_hash)})` }),
        h("td", null, h("code", { text: shortHash(run.data_hash) })),
        h("td", { text: `R-hat ${rhat}, ESS ${ess}, ${run.divergences ?? "n/a"} div.` }),
        h("td", { "data-key": "medians", text: medianCell }),
        h("td", { "data-key": "changes", text: changes.join("; ") }),
      );
    });
    fill(
      byId("history-body"),
      runs.length
        ? h(
            "div",
            { class: "table-scroll" },
            h(
              "table",
              { class: "history-table" },
              h("caption", { text: `${runs.length} stored run(s), newest first` }),
              h("thead", null, head),
              h("tbody", null, rows),
            ),
          )
        : h("p", { text: "No stored runs." }),
    );
    section.dataset.state = "ready";
  }

  // -- reports link ---------------------------------------------------------------------------
  async function checkReports() {
    const note = byId("reports-note");
    let available = null;
    try {
      const schema = await api("/schema/openapi.json");
      available = Object.keys(schema.paths || {}).some(
        (path) => path === "/v1/reports" || path.startsWith("/v1/reports/"),
      );
    } catch (_) {
      try {
        await api("/v1/reports");
        available = true;
      } catch (error) {
        available = error instanceof ApiError && error.status === 404 ? false : null;
      }
    }
    if (available === true) {
      note.textContent = "— model reports of the stored runs.";
    } else if (available === false) {
      note.textContent =
        "— not on this server yet: /v1/reports answers 404 Not Found. The link will work once the reports endpoint is deployed.";
      byId("reports-link").setAttribute("aria-describedby", "reports-note");
    } else {
      note.textContent = "— could not check whether reports are available.";
    }
    note.dataset.available = String(available);
  }

  // -- scenario builder: levers and a threshold of one's own ----------------------------------
  /* The builder lays ad-hoc levers (`lever=`) and a threshold (`threshold=`) over the baseline
   * scenario and asks the API again as a control moves (debounced). Its state lives in the page
   * hash (#threshold=...&lever=...&start=...), so a copied link reproduces the view. The levers'
   * ranges come from the page's `builder-limits` data block, which the server fills from the
   * validator's own tables. The drivers panel follows the builder's settings; the thresholds
   * panel answers every named threshold under the baseline. */
  const BUILDER_QUANTILES = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95];
  const BUILDER_DEBOUNCE_MS = 350;
  const LIMITS = readJson("builder-limits", { levers: [], start: {}, threshold_kinds: [] });
  const builder = { token: 0, timer: null, thresholds: [], driversToken: 0 };

  function readJson(id, fallback) {
    const node = document.getElementById(id);
    try {
      return node ? JSON.parse(node.textContent) : fallback;
    } catch (_) {
      return fallback;
    }
  }

  function leverId(code, name) {
    return `lever-${code}-${name}`;
  }

  function leverText(lever, value) {
    const v = Number(value);
    if (lever.name.endsWith("_multiplier")) return `×${v.toFixed(2)}`;
    return `${signed(v, 2)}${lever.name.endsWith("_oom") ? " OOM" : ""}`;
  }

  function plainNumber(x) {
    return Number(x).toLocaleString("en", { maximumFractionDigits: 6 });
  }

  /** The first 1 January after today, inside the validator's start range. */
  function defaultStart() {
    const next = `${new Date().getUTCFullYear() + 1}-01-01`;
    const { min, max } = LIMITS.start;
    if (min && next < min) return min;
    if (max && next > max) return max;
    return next;
  }

  function buildControls() {
    const sets = COUNTRIES.map(([code, name]) => {
      const rows = LIMITS.levers.map((lever) => {
        const id = leverId(code, lever.name);
        const input = h("input", {
          type: "range",
          id,
          name: `${code}.${lever.name}`,
          min: lever.slider_min,
          max: lever.slider_max,
          step: lever.step,
          value: lever.neutral,
          "data-country": code,
          "data-lever": lever.name,
          "aria-describedby": `${id}-unit`,
        });
        const out = h("output", { id: `${id}-value`, for: id, text: leverText(lever, lever.neutral) });
        input.addEventListener("input", () => {
          out.textContent = leverText(lever, input.value);
          builderSoon();
        });
        const range = lever.max === null ? `${plainNumber(lever.min)} or more` : `${plainNumber(lever.min)} to ${plainNumber(lever.max)}`;
        return h(
          "div",
          { class: "lever" },
          h("label", { for: id, text: lever.label }),
          input,
          out,
          h("span", { class: "hint", id: `${id}-unit`, text: `${lever.unit}; valid ${range}` }),
        );
      });
      const legendNode = h("legend", null, h("span", { class: `swatch ${code}`, "aria-hidden": "true" }), ` ${name}`);
      return tint(h("fieldset", { class: "lever-set", id: `levers-${code}` }, legendNode, rows), code);
    });
    fill(byId("builder-levers"), sets);
    const start = byId("builder-start");
    if (LIMITS.start.min) start.min = LIMITS.start.min;
    if (LIMITS.start.max) start.max = LIMITS.start.max;
    start.value = defaultStart();
    byId("builder-start-range").textContent = `${LIMITS.start.min} to ${LIMITS.start.max}`;
    fill(
      byId("builder-custom-kind"),
      LIMITS.threshold_kinds.map((k) =>
        h("option", { value: k.kind, text: `${k.kind} (${k.unit}, ${plainNumber(k.min)} to ${plainNumber(k.max)})` }),
      ),
    );
    const presets = byId("builder-preset");
    fill(
      presets,
      h("option", { value: "", text: "— set the levers by hand —" }),
      state.scenarios.map((sc) => h("option", { value: sc.name, text: sc.name })),
    );
  }

  function fillThresholdOptions() {
    const group = byId("builder-named");
    fill(
      group,
      builder.thresholds.map((t) =>
        h("option", { value: t.name, text: `${t.name}: ${t.kind} ${plainNumber(t.value)} ${t.unit}` }),
      ),
    );
  }

  /** The builder's settings read from its controls. */
  function builderSettings() {
    const levers = [];
    for (const input of document.querySelectorAll("#builder-levers input[type=range]")) {
      const lever = LIMITS.levers.find((l) => l.name === input.dataset.lever);
      if (!lever || Math.abs(Number(input.value) - lever.neutral) < 1e-12) continue;
      levers.push(`${input.dataset.country}.${input.dataset.lever}=${Number(input.value)}`);
    }
    const start = byId("builder-start").value;
    const choice = byId("builder-threshold").value;
    let threshold = choice;
    if (choice === "custom") {
      const value = byId("builder-custom-value").value.trim();
      threshold = value === "" ? null : `${byId("builder-custom-kind").value}:${value}`;
    }
    return { levers, start, choice, threshold };
  }

  /** The API's `lever=` list: the levers, and the start date when any lever is set. */
  function leverParams(settings) {
    return settings.levers.length ? [...settings.levers, `start=${settings.start}`] : [];
  }

  function writeBuilderHash(settings) {
    const params = new URLSearchParams();
    if (settings.threshold) params.set("threshold", settings.threshold);
    for (const lever of settings.levers) params.append("lever", lever);
    // the start date goes into the link whenever it matters (a lever is set) or was changed
    if (settings.start && (settings.levers.length || settings.start !== defaultStart())) {
      params.set("start", settings.start);
    }
    const hash = params.toString();
    const url = window.location.pathname + window.location.search + (hash ? `#${hash}` : "");
    window.history.replaceState(null, "", url);
    byId("builder-link").value = window.location.href;
  }

  /** Set the controls from the page hash (a copied link). */
  function readBuilderHash() {
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    const threshold = params.get("threshold") || "";
    const select = byId("builder-threshold");
    const custom = threshold.match(/^([a-z0-9]+):(.*)$/);
    if (custom && LIMITS.threshold_kinds.some((k) => k.kind === custom[1])) {
      select.value = "custom";
      byId("builder-custom-kind").value = custom[1];
      byId("builder-custom-value").value = custom[2];
    } else {
      const known = Array.from(select.options).map((o) => o.value).filter((v) => v !== "custom");
      select.value = known.includes(threshold) ? threshold : "";
    }
    for (const text of params.getAll("lever")) {
      const found = text.match(/^([A-Za-z]+)\.([a-z_]+)=(.*)$/);
      const input = found ? byId(leverId(found[1], found[2])) : null;
      if (input) setLever(input, found[3]);
    }
    const start = params.get("start");
    if (start) byId("builder-start").value = start;
    showCustomFields();
  }

  function setLever(input, value) {
    input.value = String(value);
    const lever = LIMITS.levers.find((l) => l.name === input.dataset.lever);
    byId(`${input.id}-value`).textContent = leverText(lever, input.value);
  }

  function applyPreset(name) {
    const info = state.scenarios.find((sc) => sc.name === name);
    if (!info) return;
    for (const input of document.querySelectorAll("#builder-levers input[type=range]")) {
      const levers = (info.levers || {})[input.dataset.country] || {};
      const lever = LIMITS.levers.find((l) => l.name === input.dataset.lever);
      setLever(input, input.dataset.lever in levers ? levers[input.dataset.lever] : lever.neutral);
    }
    if (info.start) byId("builder-start").value = info.start;
  }

  function showCustomFields() {
    const custom = byId("builder-threshold").value === "custom";
    byId("builder-custom").hidden = !custom;
    const kind = LIMITS.threshold_kinds.find((k) => k.kind === byId("builder-custom-kind").value);
    byId("builder-custom-unit").textContent = kind ? kind.unit : "";
  }

  function builderSoon() {
    window.clearTimeout(builder.timer);
    builder.timer = window.setTimeout(() => {
      renderBuilder().catch(() => {});
    }, BUILDER_DEBOUNCE_MS);
  }

  function setBuilderState(value, text, isError) {
    const section = byId("builder");
    section.dataset.state = value;
    section.setAttribute("aria-busy", value === "loading" ? "true" : "false");
    const status = byId("builder-status");
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  /** The API's answers under the builder's settings; with levers, compared with the same
   * threshold without them (paired draws: `versus`). */
  async function fetchBuilder(settings) {
    const run = state.current.id;
    const lever = leverParams(settings);
    const common = { threshold: settings.threshold, lever, run };
    const versus = lever.length ? state.baseline : null;
    const [arrival, race] = await Promise.all([
      Promise.all(
        COUNTRIES.map(([code]) => api("/v1/arrival", { ...common, country: code, q: BUILDER_QUANTILES, versus })),
      ),
      api("/v1/race", { ...common, versus }),
    ]);
    const one = (answer, key) => (versus ? answer.answers[answer[key]] : answer);
    return {
      label: arrival[0].scenario,
      baseLabel: versus ? arrival[0].versus : null,
      arrival: Object.fromEntries(COUNTRIES.map(([code], i) => [code, one(arrival[i], "scenario")])),
      base: versus ? Object.fromEntries(COUNTRIES.map(([code], i) => [code, one(arrival[i], "versus")])) : null,
      shift: versus ? Object.fromEntries(COUNTRIES.map(([code], i) => [code, arrival[i].difference.quantile_shift])) : null,
      race: one(race, "scenario"),
      raceBase: versus ? one(race, "versus") : null,
      raceDiff: versus ? race.difference : null,
    };
  }

  async function renderBuilder() {
    const token = ++builder.token;
    const settings = builderSettings();
    writeBuilderHash(settings);
    if (settings.choice === "custom" && settings.threshold === null) {
      setBuilderState("error", "Enter a custom threshold value (a number in the unit shown).", true);
      byId("builder").dataset.query = "";
      fill(byId("builder-results"), h("p", { class: "note", text: "No answer until the custom threshold has a value." }));
      setDriversState("error", "Not shown until the custom threshold has a value.");
      fill(byId("drivers-body"));
      return;
    }
    setBuilderState("loading", "Asking the API…");
    let answer;
    try {
      answer = await fetchBuilder(settings);
    } catch (error) {
      if (token !== builder.token) return;
      const words =
        error instanceof ApiError && (error.status === 400 || error.status === 422)
          ? `The API refused these settings (HTTP ${error.status}): ${error.message}`
          : `Could not load the builder's answers: ${error.message}`;
      setBuilderState("error", words, true);
      byId("builder").dataset.query = "";
      fill(byId("builder-results"), h("p", { class: "note", text: "No answer for these settings; change a control to try again." }));
      setDriversState("error", "Not shown: the builder's settings were refused or failed (see the builder).");
      fill(byId("drivers-body"));
      return;
    }
    if (token !== builder.token) return;
    drawBuilder(answer);
    const query = new URLSearchParams();
    if (settings.threshold) query.set("threshold", settings.threshold);
    for (const l of leverParams(settings)) query.append("lever", l);
    byId("builder").dataset.query = query.toString();
    setBuilderState("ready", `Showing ${answer.label}${answer.baseLabel ? `, compared with ${answer.baseLabel}` : ""}.`);
    renderDrivers(settings).catch(() => {});
  }

  function builderCell(key, col, text, wrap) {
    return h("td", { class: wrap ? "num wrap" : "num", "data-key": key, "data-col": col, text });
  }

  function quantileText(row, horizonEnd) {
    if (!row) return "n/a";
    return row.later ? `later than ${horizonEnd}` : `${row.date} ± ${fmtSe(row.mcse_years, 2)} yr`;
  }

  function builderTable(code, answer) {
    const a = answer.arrival[code];
    const b = answer.base ? answer.base[code] : null;
    const head = h(
      "tr",
      null,
      h("th", { scope: "col", text: "Arrival quantile (probability of arriving by it)" }),
      h("th", { scope: "col", text: "Your settings" }),
      b ? h("th", { scope: "col", text: "Without the levers" }) : null,
      b ? h("th", { scope: "col", text: "Shift (paired) ± MC s.e." }) : null,
    );
    const rows = BUILDER_QUANTILES.map((q) => {
      const key = q === 0.5 ? "median" : `q-${q}`;
      const shift = answer.shift ? quantileRow(answer.shift[code], q) : null;
      const shiftText = shift && finite(shift.delta_years) ? fmtDelta({ delta: shift.delta_years, mcse: shift.mcse_years }, 2, "yr") : "n/a";
      return h(
        "tr",
        null,
        h("th", { scope: "row", text: q === 0.5 ? "Median (50%)" : `${pct(q)} quantile` }),
        builderCell(key, "a", quantileText(quantileRow(a.quantiles, q), a.horizon_end)),
        b ? builderCell(key, "b", quantileText(quantileRow(b.quantiles, q), b.horizon_end)) : null,
        b ? builderCell(key, "diff", shiftText) : null,
      );
    });
    const interval = (x) => `${arrivalDate(quantileRow(x.quantiles, 0.05), x.horizon_end)} to ${arrivalDate(quantileRow(x.quantiles, 0.95), x.horizon_end)}`;
    rows.push(
      h(
        "tr",
        null,
        h("th", { scope: "row", text: "90% interval (5th–95th percentile)" }),
        builderCell("interval", "a", interval(a), true),
        b ? builderCell("interval", "b", interval(b), true) : null,
        b ? builderCell("interval", "diff", "—") : null,
      ),
      h(
        "tr",
        null,
        h("th", { scope: "row", text: `P(no arrival by ${a.horizon_end}) ± MC s.e.` }),
        builderCell("p-later", "a", fmtP(a.p_later)),
        b ? builderCell("p-later", "b", fmtP(b.p_later)) : null,
        b ? builderCell("p-later", "diff", "—") : null,
      ),
    );
    return h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        null,
        h("caption", { text: `${countryName(code)}: arrival under your settings, ± MC s.e. in years` }),
        h("thead", null, head),
        h("tbody", null, rows),
      ),
    );
  }

  /** The builder's arrival CDF (and, with levers, the same without them, dashed). */
  function builderCdf(code, answer) {
    const width = 600;
    const height = 260;
    const geo = { left: 52, right: width - 22, top: 12, bottom: height - 30 };
    const series = [answer.arrival[code], answer.base ? answer.base[code] : null].filter(Boolean);
    const cdf = series[0].cdf || [];
    if (!cdf.length) return null;
    const x0 = yearOf(cdf[0].date);
    const horizon = yearOf(cdf[cdf.length - 1].date);
    let latest = x0 + 5;
    for (const a of series) {
      const q95 = quantileRow(a.quantiles, 0.95);
      latest = !q95 || q95.later || !finite(q95.year) ? horizon : Math.max(latest, q95.year + 2);
    }
    const x1 = Math.min(horizon, Math.ceil(latest / 5) * 5);
    geo.sx = scale(x0, x1, geo.left, geo.right);
    geo.sy = scale(0, 1, geo.bottom, geo.top);
    const med = quantileRow(series[0].quantiles, 0.5);
    const svg = frame(
      width,
      height,
      `Arrival CDF under your settings, ${countryName(code)}: median ${quantileText(med, series[0].horizon_end)}; band ± 2 MC s.e.`,
    );
    axes(svg, geo, ticks(x0, x1, 7, true), [0, 0.25, 0.5, 0.75, 1], (t) => String(Math.round(t)), (t) => t.toFixed(2), "P(arrival by date)");
    series.forEach((a, i) => {
      const pts = (a.cdf || []).filter((c) => yearOf(c.date) <= x1 + 1e-9).map((c) => [geo.sx(yearOf(c.date)), c]);
      const cls = i ? "b" : `a ${code}`;
      if (!i) {
        const upper = pts.map(([x, c]) => [x, geo.sy(Math.min(1, c.p + 2 * c.mcse))]);
        const lower = pts.map(([x, c]) => [x, geo.sy(Math.max(0, c.p - 2 * c.mcse))]);
        svg.append(s("path", { class: `band se ${cls}`, d: bandPath(upper, lower) }));
      }
      svg.append(s("path", { class: `line ${cls}`, d: linePath(pts.map(([x, c]) => [x, geo.sy(c.p)])) }));
    });
    const items = [
      { kind: "line", cls: `line a ${code}`, label: "Your settings" },
      { kind: "rect", cls: `band se a ${code}`, label: "± 2 MC s.e." },
    ];
    if (answer.base) items.push({ kind: "line", cls: "line b", label: "Without the levers" });
    return h("figure", null, legend(items), svg);
  }

  function builderRace(answer) {
    const first = raceFirst(answer.race);
    const base = answer.raceBase ? raceFirst(answer.raceBase) : null;
    const diffs = {};
    if (answer.raceDiff && Array.isArray(answer.raceDiff.p_first)) {
      for (const row of answer.raceDiff.p_first) diffs[row.country] = row;
    }
    const head = h(
      "tr",
      null,
      h("th", { scope: "col", text: "Probability ± MC s.e." }),
      h("th", { scope: "col", text: "Your settings" }),
      base ? h("th", { scope: "col", text: "Without the levers" }) : null,
      base ? h("th", { scope: "col", text: "Difference (paired) ± MC s.e." }) : null,
    );
    const rows = COUNTRIES.map(([code, name]) =>
      h(
        "tr",
        null,
        h("th", { scope: "row", text: `P(${name} first)` }),
        builderCell(`first-${code}`, "a", first[code] ? fmtP(first[code]) : "n/a"),
        base ? builderCell(`first-${code}`, "b", base[code] ? fmtP(base[code]) : "n/a") : null,
        base ? builderCell(`first-${code}`, "diff", fmtDelta(diffs[code], 3)) : null,
      ),
    );
    rows.push(
      h(
        "tr",
        null,
        h("th", { scope: "row", text: `P(no country by ${answer.race.horizon_end})` }),
        builderCell("neither", "a", fmtP(answer.race.p_neither_by_horizon)),
        base ? builderCell("neither", "b", fmtP(answer.raceBase.p_neither_by_horizon)) : null,
        base ? builderCell("neither", "diff", "—") : null,
      ),
    );
    return h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { id: "builder-race" },
        h("caption", { text: "Race under your settings: who arrives first" }),
        h("thead", null, head),
        h("tbody", null, rows),
      ),
    );
  }

  function drawBuilder(answer) {
    const cards = COUNTRIES.map(([code, name]) =>
      tint(
        h(
          "article",
          { class: "card", id: `builder-${code}`, "data-country": code },
          h("h3", null, h("span", { class: `swatch ${code}`, "aria-hidden": "true" }), name),
          h("div", { class: "builder-card-body" }, builderTable(code, answer), builderCdf(code, answer)),
        ),
        code,
      ),
    );
    fill(byId("builder-results"), h("div", { class: "builder-cards" }, cards), builderRace(answer));
  }

  // -- drivers: the share of the arrival's variance per input group ---------------------------
  function setDriversState(value, text) {
    const section = byId("drivers");
    section.dataset.state = value;
    if (text !== undefined) {
      const note = byId("drivers-status");
      note.textContent = text;
      note.classList.toggle("error", value === "error");
    }
  }

  function shareBar(share, mcse) {
    const svg = s("svg", { class: "chart share", viewBox: "0 0 100 12", "aria-hidden": "true", preserveAspectRatio: "none" });
    const x = (v) => Math.max(0, Math.min(100, v * 100));
    svg.append(s("rect", { class: "share-bar", x: 0, y: 2, width: x(share), height: 8 }));
    if (finite(mcse)) {
      svg.append(s("line", { class: "share-err", x1: x(share - 2 * mcse), x2: x(share + 2 * mcse), y1: 6, y2: 6 }));
    }
    return svg;
  }

  function driversTable(answer) {
    const rows = answer.groups.map((g) =>
      h(
        "tr",
        { "data-group": g.group },
        h("th", { scope: "row", title: `${g.description} (${g.variables.length} variables)`, text: g.group.replace(/_/g, " ") }),
        h("td", { class: "num", "data-key": g.group, text: `${g.share < 0 ? MINUS : ""}${Math.abs(g.share).toFixed(3)} ± ${fmtSe(g.mcse, 3)}` }),
        h("td", { class: "bar-cell" }, shareBar(g.share, g.mcse)),
      ),
    );
    const code = answer.country;
    return tint(
      h(
        "article",
        { class: "card", id: `drivers-${code}`, "data-country": code },
        h("h3", null, h("span", { class: `swatch ${code}`, "aria-hidden": "true" }), countryName(code)),
        h(
          "div",
          { class: "table-scroll" },
          h(
            "table",
            null,
            h("caption", { text: `Share of the variance of ${countryName(code)}'s arrival (${answer.scale} scale), ± MC s.e.` }),
            h("thead", null, h("tr", null, ["Input group", "Share ± MC s.e.", "Share (bar: ± 2 MC s.e.)"].map((t) => h("th", { scope: "col", text: t })))),
            h("tbody", null, rows),
          ),
        ),
        h("p", {
          class: "hint",
          text: `The shares need not add up to 1: the rest is interactions between groups. ${answer.draws} draws.`,
        }),
      ),
      code,
    );
  }

  async function renderDrivers(settings) {
    const token = ++builder.driversToken;
    setDriversState("loading", "Estimating the drivers under the builder's settings…");
    try {
      const common = { threshold: settings.threshold, lever: leverParams(settings), run: state.current.id };
      const answers = await Promise.all(COUNTRIES.map(([code]) => api("/v1/drivers", { ...common, country: code })));
      if (token !== builder.driversToken) return;
      byId("drivers-method").textContent =
        `Method (from the API): ${answers[0].method}. Shares of the variance of the arrival date on the ${answers[0].scale} scale` +
        (answers[0].scale === "rank" ? " (its rank among the draws, so that draws that never arrive do not dominate)" : "") +
        ". The input groups are treated as independent although the posterior correlates them, so a small share can come out slightly negative.";
      fill(byId("drivers-body"), h("div", { class: "cards" }, answers.map(driversTable)));
      const options = answers[0].options || {};
      const parts = [options.scenario || answers[0].scenario];
      if (options.threshold) parts.push(`threshold ${options.threshold.label}`);
      if (options.levers && options.levers.length) parts.push(`levers ${options.levers.join(" ")}`);
      setDriversState("ready", `Drivers under ${parts.join(" | ")}.`);
    } catch (error) {
      if (token !== builder.driversToken) return;
      setDriversState("error", `Could not load the drivers: ${error.message}`);
    }
  }

  // -- prior sensitivity: which priors move the arrival ----------------------------------------
  const PSENSE_ROWS = 10;

  function psenseCell(entry) {
    const text = `${entry.sensitivity.toFixed(3)} ± ${fmtSe(entry.mcse, 3)}${entry.informative ? " *" : ""}`;
    return h("td", { class: entry.informative ? "num flagged" : "num", text });
  }

  async function renderPsense() {
    const section = byId("psense");
    const answer = await api("/v1/psense", { run: state.current.id });
    const codes = COUNTRIES.map(([code]) => code);
    const rows = answer.priors.slice(0, PSENSE_ROWS).map((row) =>
      h(
        "tr",
        { "data-prior": row.prior },
        h("th", { scope: "row", title: row.description, text: row.prior }),
        ...codes.map((code) => psenseCell(row.arrival[code])),
        psenseCell(row.parameter),
      ),
    );
    byId("psense-method").textContent =
      `Method (from the API): ${answer.method}. Marked *: above ${answer.threshold}, the prior shapes that answer.`;
    fill(
      byId("psense-body"),
      h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          null,
          h("caption", { text: `The ${rows.length} of ${answer.priors.length} priors that move an arrival most (sensitivity ± MC s.e.)` }),
          h(
            "thead",
            null,
            h("tr", null, ["Prior", ...codes.map((c) => `Arrival ${countryName(c)}`), "Own parameter"].map((t) => h("th", { scope: "col", text: t }))),
          ),
          h("tbody", null, rows),
        ),
      ),
    );
    section.dataset.state = "ready";
  }

  // -- named thresholds: median arrival under each ----------------------------------------------
  async function renderThresholds() {
    const section = byId("thresholds");
    const rows = await Promise.all(
      builder.thresholds.map(async (t) => {
        const answers = await Promise.all(
          COUNTRIES.map(([code]) =>
            api("/v1/arrival", { country: code, threshold: t.name, q: [0.05, 0.5, 0.95], cdf: false, run: state.current.id }),
          ),
        );
        return [t, answers];
      }),
    );
    const head = h(
      "tr",
      null,
      h("th", { scope: "col", text: "Named threshold" }),
      COUNTRIES.map(([code, name]) => tint(h("th", { scope: "col", text: `${name}: median ± MC s.e.; 90% interval` }), code)),
    );
    const body = rows.map(([t, answers]) =>
      h(
        "tr",
        { "data-threshold": t.name },
        h("th", { scope: "row", title: t.description || "" }, h("code", { text: t.name }), h("br"), h("span", { class: "hint", text: `${t.kind} ${plainNumber(t.value)} ${t.unit}` })),
        answers.map((a, i) => {
          const [lo, med, hi] = [0.05, 0.5, 0.95].map((q) => quantileRow(a.quantiles, q));
          return h(
            "td",
            { class: "num wrap", "data-key": t.name, "data-col": COUNTRIES[i][0] },
            h("span", { class: "median", text: quantileText(med, a.horizon_end) }),
            h("br"),
            h("span", {
              class: "interval",
              text: `90%: ${arrivalDate(lo, a.horizon_end)} to ${arrivalDate(hi, a.horizon_end)} (MC s.e. ${fmtSe(lo.mcse_years, 2)} / ${fmtSe(hi.mcse_years, 2)} yr)`,
            }),
          );
        }),
      ),
    );
    fill(
      byId("thresholds-body"),
      h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          { id: "thresholds-table" },
          h("caption", { text: `Arrival per named threshold under ${state.baseline} (no levers), run ${state.current.id}` }),
          h("thead", null, head),
          h("tbody", null, body),
        ),
      ),
    );
    section.dataset.state = "ready";
  }

  // -- builder start ----------------------------------------------------------------------------
  async function startBuilder() {
    const listed = await api("/v1/thresholds");
    builder.thresholds = listed.thresholds || [];
    buildControls();
    fillThresholdOptions();
    readBuilderHash();
    byId("builder-threshold").addEventListener("change", () => {
      showCustomFields();
      builderSoon();
    });
    byId("builder-custom-kind").addEventListener("change", () => {
      showCustomFields();
      builderSoon();
    });
    byId("builder-custom-value").addEventListener("input", builderSoon);
    byId("builder-start").addEventListener("change", builderSoon);
    byId("builder-preset").addEventListener("change", (event) => {
      applyPreset(event.target.value);
      builderSoon();
    });
    byId("builder-reset").addEventListener("click", () => {
      byId("builder-preset").value = "";
      for (const input of document.querySelectorAll("#builder-levers input[type=range]")) {
        const lever = LIMITS.levers.find((l) => l.name === input.dataset.lever);
        setLever(input, lever.neutral);
      }
      builderSoon();
    });
    byId("builder-copy").addEventListener("click", copyBuilderLink);
    byId("builder-form").addEventListener("submit", (event) => event.preventDefault());
    for (const id of ["builder-threshold", "builder-start", "builder-copy", "builder-reset", "builder-preset"]) byId(id).disabled = false;
    await renderBuilder();
    renderPsense().catch((error) => {
      fill(byId("psense-body"), h("p", { class: "note", text: `Could not load the prior sensitivity: ${error.message}` }));
      byId("psense").dataset.state = "error";
    });
    renderThresholds().catch((error) => {
      fill(byId("thresholds-body"), h("p", { class: "note", text: `Could not load the thresholds' answers: ${error.message}` }));
      byId("thresholds").dataset.state = "error";
    });
  }

  async function copyBuilderLink() {
    writeBuilderHash(builderSettings());
    const field = byId("builder-link");
    const note = byId("builder-copied");
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      note.textContent = "Link copied.";
    } catch (_) {
      note.textContent = "Select the link above and copy it (the browser did not allow the page to).";
    }
  }

  function builderUnavailable(text) {
    setBuilderState("error", text, true);
    setDriversState("error", text);
    byId("thresholds").dataset.state = "error";
    fill(byId("thresholds-body"), h("p", { class: "note", text }));
  }

  // -- start ----------------------------------------------------------------------------------
  async function start() {
    const wanted = readUrl();
    try {
      const [current, runs, scenarios, priors] = await Promise.all([
        api("/v1/runs/current"),
        api("/v1/runs"),
        api("/v1/scenarios"),
        api("/v1/priors"),
      ]);
      state.current = current;
      state.runs = runs.runs;
      state.scenarios = scenarios.scenarios;
      state.baseline = scenarios.baseline;
      const names = new Set(priors.prior_sets.filter((p) => p.valid).map((p) => p.name));
      for (const run of state.runs) if (run.status === "passed") names.add(run.prior_set);
      state.priorSets = Array.from(names).sort();
    } catch (error) {
      const text =
        error instanceof ApiError && error.status === 503
          ? `No current run yet. The service says: “${error.message}”. Reload this page once a run is current.`
          : `Could not load the current run: ${error.message}`;
      setStatus(text, true);
      for (const id of ["scenario", "versus", "show"]) byId(id).disabled = true;
      setMainState("error");
      builderUnavailable(`The scenario builder needs a current run. ${text}`);
      byId("structures").dataset.state = "error";
      fill(byId("structures-body"), h("p", { class: "note", text: `The structures need a current run. ${text}` }));
      byId("history").dataset.state = "error";
      checkReports();
      return;
    }
    fillScenarioOptions(wanted.scenario, wanted.versus);
    let timer = null;
    const soon = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(render, 150);
    };
    byId("scenario").addEventListener("change", () => {
      fillVersusOptions(byId("versus").value);
      soon();
    });
    byId("versus").addEventListener("change", soon);
    byId("scenario-form").addEventListener("submit", (event) => {
      event.preventDefault();
      window.clearTimeout(timer);
      render();
    });
    await render();
    startBuilder().catch((error) => builderUnavailable(`Could not start the scenario builder: ${error.message}`));
    checkReports();
    showAlerts().catch(() => {});
    renderHistory().catch((error) => {
      fill(
        byId("history-body"),
        h("p", { class: "note", text: `Could not load the run history: ${error.message}` }),
      );
      byId("history").dataset.state = "error";
    });
  }

  // One line on the latest surprise alert (GET /v1/alerts), hidden when there is none.
  async function showAlerts() {
    const line = byId("alerts-line");
    if (!line) return;
    const page = await api("/v1/alerts", { limit: 1 });
    if (!page || !page.total) return;
    const a = page.items[0];
    line.textContent =
      `Alerts: ${page.total} new observation(s) far outside the predictive; latest: ` +
      `${a.table} ${a.label || ""} (${a.country}, ${a.date}) at the ${a.percentile}th percentile.`;
    line.hidden = false;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
