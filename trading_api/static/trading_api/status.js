// The status table of the start page, refreshed every 2 s from /api/v1/status.
async function refresh() {
  const response = await fetch(document.getElementById("status").dataset.url, {headers: {"Accept": "application/json"}});
  const body = await response.json();
  const rows = [["mode", body.mode], ["version", body.version], ["engine", body.engine && body.engine.state]];
  for (const [name, state] of Object.entries(body.connections || {})) {
    rows.push([name, typeof state === "object" ? `${state.state} (${state.count})` : state]);
  }
  const tbody = document.querySelector("#status tbody");
  tbody.replaceChildren(...rows.map(([name, value]) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.textContent = name;
    const td = document.createElement("td"); td.textContent = value; td.className = String(value).split(" ")[0];
    tr.append(th, td); return tr;
  }));
}
refresh(); setInterval(refresh, 2000);
