/**
 * A bar chart drawn by uPlot on a canvas, one bar per category. The canvas is an image to assistive
 * technology (its aria-label says every value); the figure's table beside it carries the same numbers.
 * uPlot sizes its elements through the CSSOM (element.style), which a CSP without 'unsafe-inline' allows.
 */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

export interface Bar {
  label: string
  value: number
  color: string
}

const HEIGHT = 220
const ROW = 28

/** Vertical bars fit a few short labels; many or long labels (platforms) read better as rows. */
function height(bars: Bar[], horizontal: boolean) {
  return horizontal ? Math.max(120, bars.length * ROW + 40) : HEIGHT
}

function options(bars: Bar[], width: number, horizontal: boolean): uPlot.Options {
  const colors = bars.map((b) => b.color)
  const longest = Math.max(4, ...bars.map((b) => b.label.length))
  return {
    width,
    height: height(bars, horizontal),
    legend: { show: false },
    cursor: { show: false },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    scales: {
      x: { time: false, range: [-0.5, bars.length - 0.5], ...(horizontal ? { ori: 1, dir: -1 } : {}) },
      y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.15))], ...(horizontal ? { ori: 0 } : {}) },
    },
    axes: [
      {
        stroke: '#334155',
        grid: { show: false },
        ticks: { show: false },
        splits: () => bars.map((_, i) => i),
        values: (_u, splits) => splits.map((i) => bars[i]?.label ?? ''),
        font: '12px system-ui, sans-serif',
        ...(horizontal ? { side: 3, size: Math.min(160, longest * 7 + 12) } : { size: 36 }),
      },
      {
        stroke: '#334155',
        grid: { stroke: '#e2e8f0', width: 1 },
        ticks: { show: false },
        font: '12px system-ui, sans-serif',
        incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 10000],
        values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')),
        ...(horizontal ? { side: 2, size: 32 } : { size: 40 }),
      },
    ],
    series: [
      {},
      {
        label: 'builds',
        width: 0,
        fill: colors[0] ?? '#1d4ed8',
        paths: uPlot.paths.bars!({ size: [0.6, 64], disp: { fill: { unit: 3, values: () => colors } } } as never),
        points: { show: false },
      },
    ],
  }
}

export function BarChart({ bars, label, horizontal = false }: { bars: Bar[]; label: string; horizontal?: boolean }) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const shape = `${horizontal}|${bars.map((b) => `${b.label}:${b.color}`).join('|')}`

  // A new set of categories (or colours) rebuilds the chart; new values only redraw it.
  useEffect(() => {
    const el = box.current
    if (!el) return
    const data: uPlot.AlignedData = [bars.map((_, i) => i), bars.map((b) => b.value)]
    const u = new uPlot(options(bars, Math.max(200, el.clientWidth), horizontal), data, el)
    u.root.querySelector('canvas')?.setAttribute('aria-hidden', 'true')
    plot.current = u
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth)
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: height(bars, horizontal) })
    })
    ro.observe(el)
    return () => {
      ro.disconnect()
      u.destroy()
      plot.current = null
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape])

  const values = bars.map((b) => b.value).join(',')
  useEffect(() => {
    plot.current?.setData([bars.map((_, i) => i), bars.map((b) => b.value)])
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [values])

  const summary = `${label}: ${bars.map((b) => `${b.label} ${b.value}`).join(', ')}`
  return <div class="chart" ref={box} role="img" aria-label={summary} data-values={values} />
}
