// The UI's little JavaScript: dialogs for actions, the namespace switcher, event JSON on demand, and live updates of a
// running workflow's page (a long poll of its history and description; on a change the page's live parts are re-rendered).
(() => {
  "use strict";

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-dialog]");
    if (opener) {
      document.getElementById(opener.dataset.dialog)?.showModal();
      return;
    }
    const closer = event.target.closest("[data-close]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) dialog.close(); else history.back();
      return;
    }
    const expand = event.target.closest("a.expand");
    if (expand) {
      event.preventDefault();
      toggleEvent(expand);
    }
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches("select[data-navigate]")) location.href = event.target.value;
  });

  // The list page's counts by status, asked for once the page is shown.
  async function counts() {
    const filters = document.querySelector("[data-counts-url]");
    if (!filters) return;
    let answer;
    try {
      answer = await fetch(filters.dataset.countsUrl).then((r) => r.json());
    } catch (error) {
      answer = { error: String(error) };
    }
    if (!answer.counts) {
      const note = filters.querySelector(".count-error");
      note.textContent = "counts unavailable";
      note.title = answer.error || "";
      note.hidden = false;
      return;
    }
    const format = (n) => n.toLocaleString("en-US");
    let total = 0;
    for (const [status, count] of Object.entries(answer.counts)) {
      total += count;
      const chip = filters.querySelector(`[data-status="${status}"] .chip-count`);
      if (chip) chip.textContent = format(count);
    }
    filters.querySelector('[data-status="All"] .chip-count').textContent = format(total);
    const selected = filters.dataset.selected;
    document.getElementById("workflow-count").textContent = format(selected === "All" ? total : answer.counts[selected] ?? 0);
  }

  // A history row's JSON, fetched when it is first opened.
  async function toggleEvent(link) {
    const row = link.closest("tr");
    const next = row.nextElementSibling;
    if (next && next.classList.contains("event-json")) {
      next.remove();
      link.setAttribute("aria-expanded", "false");
      return;
    }
    const detail = document.createElement("tr");
    detail.className = "event-json";
    const cell = document.createElement("td");
    cell.colSpan = row.children.length;
    const pre = document.createElement("pre");
    pre.className = "code";
    pre.textContent = "Loading…";
    cell.appendChild(pre);
    detail.appendChild(cell);
    row.after(detail);
    link.setAttribute("aria-expanded", "true");
    try {
      const response = await fetch(link.href, { headers: { Accept: "application/json" } });
      pre.textContent = await response.text();
    } catch (error) {
      pre.textContent = "Could not load the event: " + error;
    }
  }

  // Live updates: wait for a new event or a change the run's description shows without one (an activity's retry,
  // heartbeat), then swap in the freshly rendered [data-live] parts of this page.
  async function live() {
    let main = document.getElementById("main");
    let token = null;
    while (main && main.dataset.liveUrl) {
      const url = new URL(main.dataset.liveUrl, location.href);
      url.searchParams.set("after", main.dataset.after || "0");
      if (main.dataset.state) url.searchParams.set("state", main.dataset.state);
      if (token) url.searchParams.set("token", token);
      let answer;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        answer = await response.json();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 5000));
        continue;
      }
      token = answer.token;
      if (!answer.changed) {
        if (!token) return;
        continue;
      }
      const page = await fetch(location.href).then((r) => (r.ok ? r.text() : null)).catch(() => null);
      if (!page) return;
      const fresh = new DOMParser().parseFromString(page, "text/html");
      const opened = [...document.querySelectorAll("a.expand[aria-expanded=true]")].map((a) => a.href);
      for (const part of document.querySelectorAll("[data-live]")) {
        const replacement = fresh.getElementById(part.id);
        if (replacement) part.replaceWith(document.importNode(replacement, true));
      }
      for (const href of opened) {
        const link = [...document.querySelectorAll("a.expand")].find((a) => a.href === href);
        if (link) toggleEvent(link);
      }
      const freshMain = fresh.getElementById("main");
      main.dataset.after = freshMain?.dataset.after || main.dataset.after;
      main.dataset.state = freshMain?.dataset.state || "";
      if (freshMain?.dataset.liveUrl) main.dataset.liveUrl = freshMain.dataset.liveUrl;
      else delete main.dataset.liveUrl;
      token = null;
      main = document.getElementById("main");
    }
  }

  counts();
  if (document.getElementById("main")?.dataset.liveUrl) live();
})();
