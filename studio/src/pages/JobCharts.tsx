import { Subtitle2, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, tokens } from '@fluentui/react-components';
import { ErrorBar, useLoad, useSession } from '../common';

interface MiniBatchTiming {
  index: number;
  status: string;
  files: string[];
  attempts: number;
  succeededItems: number;
  failedItems: number;
  durationMs?: number;
  timings?: { downloadMs: number; scoreMs: number; workerMs: number; stageMs: number };
  finishedAt?: string;
}

const W = 560;
const H = 160;
const PAD = 36;

/** Items done over time and each mini-batch's duration (GET .../miniBatches), as small SVG charts with text equivalents. */
export function JobCharts({ path, startTime, live }: { path: string; startTime?: string; live: boolean }) {
  const { api } = useSession();
  const data = useLoad(() => api.list(`${path}/miniBatches?$top=5000`) as unknown as Promise<MiniBatchTiming[]>, [api, path], () => (live ? 3000 : undefined));
  if (data.error) return <ErrorBar error={data.error} title="Mini-batch timings could not be read" />;
  const rows = (data.data ?? []).filter((m) => m.status === 'Succeeded' || m.status === 'Failed');
  if (!rows.length || !startTime) return null;
  const start = Date.parse(startTime);
  const done = rows
    .filter((m) => m.finishedAt)
    .map((m) => ({ t: (Date.parse(m.finishedAt!) - start) / 1000, items: m.succeededItems + m.failedItems }))
    .sort((a, b) => a.t - b.t);
  let total = 0;
  const points = done.map((d) => ({ t: d.t, total: (total += d.items) }));
  const maxT = Math.max(...points.map((p) => p.t), 0.001);
  const maxItems = Math.max(total, 1);
  const x = (t: number) => PAD + (t / maxT) * (W - PAD - 8);
  const y = (v: number, max: number) => H - PAD + 8 - (v / max) * (H - PAD);
  const line = [`${x(0)},${y(0, maxItems)}`, ...points.map((p) => `${x(p.t)},${y(p.total, maxItems)}`)].join(' ');

  const maxMs = Math.max(...rows.map((m) => m.durationMs ?? 0), 1);
  const barW = Math.max((W - PAD - 8) / rows.length - 1, 1);
  const slowest = [...rows].sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0)).slice(0, 5);
  const itemsPerSecond = total / maxT;

  return (
    <>
      <Subtitle2 as="h2">Throughput and mini-batch durations</Subtitle2>
      <svg width={W} height={H} role="img" aria-label={`Items done over time: ${total} items in ${maxT.toFixed(1)} s, ${itemsPerSecond.toFixed(1)} items per second`}>
        <line x1={PAD} y1={H - PAD + 8} x2={W - 8} y2={H - PAD + 8} stroke={tokens.colorNeutralStroke1} />
        <line x1={PAD} y1={8} x2={PAD} y2={H - PAD + 8} stroke={tokens.colorNeutralStroke1} />
        <polyline points={line} fill="none" stroke={tokens.colorBrandForeground1} strokeWidth={2} />
        <text x={PAD - 4} y={16} textAnchor="end" fontSize={10}>{total}</text>
        <text x={W - 8} y={H - 8} textAnchor="end" fontSize={10}>{maxT.toFixed(1)} s</text>
        <text x={PAD + 4} y={H - 8} fontSize={10}>items done over time</text>
      </svg>
      <svg width={W} height={H} role="img" aria-label={`Duration of each of ${rows.length} mini-batches; the longest took ${(maxMs / 1000).toFixed(2)} s`}>
        <line x1={PAD} y1={H - PAD + 8} x2={W - 8} y2={H - PAD + 8} stroke={tokens.colorNeutralStroke1} />
        {rows.map((m, i) => (
          <rect
            key={m.index}
            x={PAD + i * (barW + 1)}
            y={y(m.durationMs ?? 0, maxMs)}
            width={barW}
            height={H - PAD + 8 - y(m.durationMs ?? 0, maxMs)}
            fill={m.status === 'Failed' ? tokens.colorPaletteRedBackground3 : tokens.colorBrandBackground}
          />
        ))}
        <text x={PAD - 4} y={16} textAnchor="end" fontSize={10}>{(maxMs / 1000).toFixed(2)} s</text>
        <text x={PAD + 4} y={H - 8} fontSize={10}>duration per mini-batch, in index order</text>
      </svg>
      <Table aria-label="Slowest mini-batches" size="small">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Mini-batch</TableHeaderCell>
            <TableHeaderCell>Duration</TableHeaderCell>
            <TableHeaderCell>Download / scoring / staging</TableHeaderCell>
            <TableHeaderCell>Attempts</TableHeaderCell>
            <TableHeaderCell>Files</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {slowest.map((m) => (
            <TableRow key={m.index}>
              <TableCell>{m.index}</TableCell>
              <TableCell>{((m.durationMs ?? 0) / 1000).toFixed(2)} s</TableCell>
              <TableCell>{m.timings ? `${m.timings.downloadMs} / ${m.timings.scoreMs} / ${m.timings.stageMs} ms` : ''}</TableCell>
              <TableCell>{m.attempts}</TableCell>
              <TableCell>{m.files.join(', ')}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </>
  );
}
