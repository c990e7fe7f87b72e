import type { AlertHandling, Arrival } from '@lianfang/shared'
import { describe, expect, it } from 'vitest'

import {
  alarming,
  groupOf,
  ordered,
  pendingGroup,
  withArrival,
  withDecision,
  withReport,
  withUpdate,
} from '../src/staff/arrivals'
import { parseEvents } from '../src/staff/stream'

function arrival(id: string, status: Arrival['status'], at: string, warnings: Arrival['warnings'] = []): Arrival {
  return { id, status, checked_at: `2026-03-01T${at}:00+08:00`, warnings } as Arrival
}

describe('the live stream', () => {
  it('reads complete events and keeps the rest for the next chunk', () => {
    const chunk = 'retry: 3000\n: connected\n\nid: 1\nevent: arrival\ndata: {"id":"a"}\n\nid: 2\nevent: deci'

    const { events, rest, retry } = parseEvents(chunk)

    expect(events).toEqual([{ id: '1', event: 'arrival', data: '{"id":"a"}' }])
    expect(retry).toBe(3000)
    expect(parseEvents(`${rest}sion\ndata: {}\n\n`).events).toEqual([{ id: '2', event: 'decision', data: '{}' }])
  })

  it('skips heartbeats', () => {
    expect(parseEvents(': ping\n\n: ping\n\n').events).toEqual([])
  })
})

describe('the arrivals list', () => {
  it('puts pending arrivals on top, the longest waiting first, then the newest', () => {
    const list = [
      arrival('passed-early', 'passed', '08:00'),
      arrival('pending-late', 'pending', '08:20'),
      arrival('passed-late', 'passed', '08:30'),
      arrival('pending-early', 'pending', '08:10'),
    ]

    expect(ordered(list).map((item) => item.id)).toEqual(['pending-early', 'pending-late', 'passed-late', 'passed-early'])
  })

  it('keeps one row per record when the stream replays it, and applies a decision', () => {
    let list = withArrival([], arrival('a', 'pending', '08:00'))
    list = withArrival(list, arrival('a', 'pending', '08:00'))
    list = withDecision(list, { id: 'a', checkpoint_id: 1, status: 'passed', status_label: '准许通行', decided_by: 'u1', decided_at: '', reason: null })

    expect(list.map((item) => [item.id, item.status])).toEqual([['a', 'passed']])
  })

  it('replaces a known card with its re-measured arrival and adds no unknown one', () => {
    const list = [arrival('a', 'abnormal', '08:00'), arrival('b', 'passed', '08:01')]
    const cleared = { ...arrival('a', 'passed', '08:00'), remeasure: { value: 36.6 } } as Arrival

    expect(withUpdate(list, cleared).map((item) => [item.id, item.status])).toEqual([['a', 'passed'], ['b', 'passed']])
    expect(withUpdate(list, arrival('c', 'passed', '08:02')).map((item) => item.id)).toEqual(['a', 'b'])
  })

  it('marks a reported fever with what was sent, and keeps the mark when the card comes again without it', () => {
    const handling = {
      record_id: 'a',
      state: 'handling',
      state_label: '处置中',
      steps: [{ state: 'handling', state_label: '处置中', note: '已劝返', at: '2026-03-01T08:05:00+08:00', by_id: 'u1', by_region_name: null }],
    } as AlertHandling
    const mark = { record_id: 'a', state_label: '处置中', note: '已劝返', at: '2026-03-01T08:05:00+08:00' }

    let list = withReport([arrival('a', 'abnormal', '08:00'), arrival('b', 'abnormal', '08:01')], handling)
    expect(list.map((item) => item.gate_report ?? null)).toEqual([mark, null])

    // A replayed arrival event, a load while trace did not answer, a re-measure streamed from another board.
    list = withArrival(list, { ...arrival('a', 'abnormal', '08:00'), gate_report: null })
    list = withUpdate(list, arrival('a', 'abnormal', '08:00'))
    expect(list.find((item) => item.id === 'a')?.gate_report).toEqual(mark)
  })

  it('marks a fever and a recent abnormal record elsewhere', () => {
    expect(alarming(arrival('a', 'abnormal', '08:00'))).toBe(true)
    expect(alarming(arrival('b', 'passed', '08:00', [{ code: 'recent_fever', message: '14 天内体温异常' }]))).toBe(true)
    expect(alarming(arrival('c', 'passed', '08:00'))).toBe(false)
  })
})

describe('a group at the gate', () => {
  const leader = arrival('leader', 'pending', '08:00')
  const child = { ...arrival('child', 'pending', '08:00'), companion_of: 'leader' } as Arrival
  const elder = { ...arrival('elder', 'passed', '08:00'), companion_of: 'leader' } as Arrival
  const stranger = arrival('stranger', 'pending', '08:01')

  it('is the leader and the companions they checked in with', () => {
    const list = [stranger, elder, child, leader]

    expect(groupOf(list, leader).map((item) => item.id)).toEqual(['leader', 'elder', 'child'])
    expect(groupOf(list, child).map((item) => item.id)).toEqual(['child'])
  })

  it('is decided at once for those of it still waiting, and a person alone is no group', () => {
    const list = [stranger, elder, child, leader]

    expect(pendingGroup(list, leader).map((item) => item.id)).toEqual(['leader', 'child'])
    expect(pendingGroup(list, stranger)).toEqual([])
  })
})
