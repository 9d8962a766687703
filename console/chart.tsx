// Executions over the last 24 hours, drawn with uPlot; the numbers are also given as text.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export function ExecutionsChart({ samples }: { samples: { at: string; running: number }[] }) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const times = samples.map((s) => Math.floor(new Date(s.at).getTime() / 1000));
  const values = samples.map((s) => s.running);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const width = Math.max(320, Math.min(element.clientWidth || 720, 960));
    const options: uPlot.Options = {
      width,
      height: 200,
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { label: "running", size: 50 }],
      series: [
        {},
        { label: "running executions", stroke: "#1f6feb", fill: "rgba(31,111,235,0.12)", width: 2 },
      ],
      legend: { show: false },
    };
    plot.current = new uPlot(options, [times, values], element);
    return () => {
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData([times, values]);
  }, [samples]);

  const peak = Math.max(0, ...values);
  const now = values.at(-1) ?? 0;
  return (
    <figure class="chart">
      <div
        ref={holder}
        role="img"
        aria-label={`Running executions over the last 24 hours: now ${now}, peak ${peak}`}
      />
      <figcaption>
        Running executions, last 24 hours: now <strong>{now}</strong>, peak <strong>{peak}</strong>.
      </figcaption>
    </figure>
  );
}
