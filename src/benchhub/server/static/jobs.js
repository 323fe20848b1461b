// The jobs page follows its jobs: while one is queued or running it asks the API every two seconds and,
// when a job's state or progress changed, reloads the page (keeping the scroll position).
(function () {
  const table = document.getElementById("jobs");
  if (!table) return;
  const active = () => [...table.querySelectorAll("tr[data-state]")].some(
    (row) => row.dataset.state === "queued" || row.dataset.state === "running");
  const shown = () => [...table.querySelectorAll("tr[data-job]")].map(
    (row) => row.dataset.job + ":" + row.dataset.state + ":" + (row.querySelector("progress")?.value ?? "")).join(",");
  const before = shown();
  async function look() {
    if (!active()) return;
    try {
      const answer = await fetch(table.dataset.api, { credentials: "same-origin" });
      if (answer.ok) {
        const jobs = await answer.json();
        const now = jobs.map((job) => job.id + ":" + job.state + ":" + (job.examples_total ? job.examples_done : "")).join(",");
        if (now !== before) {
          sessionStorage.setItem("jobs-scroll", String(window.scrollY));
          window.location.reload();
          return;
        }
      }
    } catch (error) { /* the next look tries again */ }
    setTimeout(look, 2000);
  }
  const scroll = sessionStorage.getItem("jobs-scroll");
  if (scroll !== null) { window.scrollTo(0, Number(scroll)); sessionStorage.removeItem("jobs-scroll"); }
  setTimeout(look, 2000);
})();
