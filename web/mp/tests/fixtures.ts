/** The server's answers as the check-in service gives them (shapes from the generated API types). */

import type { CheckpointPage, Receipt } from '../../shared/src/api'

export const CODE = 'K7M3QF9X'

export function checkpointPage(overrides: Partial<CheckpointPage> = {}): CheckpointPage {
  return {
    checkpoint: {
      id: 7,
      code: CODE,
      name: '育才小区东门',
      kind: 'community',
      kind_label: '小区',
      region_names: ['石家庄市', '长安区', '育才街道'],
      address: '育才街 12 号',
      active: true,
      requires_audit: false,
      temp_valid_minutes: 240,
      fever_threshold: 37.3,
    },
    form: {
      template_id: 1,
      template_version: 1,
      fields: [
        { key: 'name', label: '姓名', type: 'name', required: true },
        { key: 'phone', label: '手机号', type: 'phone', required: true },
      ],
    },
    prefill: {},
    companions: [],
    temperature: { required: true, last: null },
    notices: [],
    ...overrides,
  }
}

export function receipt(overrides: Partial<Receipt> = {}): Receipt {
  return {
    id: '0193a5c0-0000-7000-8000-000000000001',
    status: 'passed',
    status_label: '准许通行',
    temperature: { value: 36.5, source: 'measured', measured_at: '2026-12-06T02:05:00Z' },
    checked_at: '2026-12-06T02:05:09Z',
    direction: 'in',
    checkpoint: { code: CODE, name: '育才小区东门', kind_label: '小区' },
    name_masked: '张*',
    companions: [],
    ...overrides,
  }
}

export const SESSION = {
  access_token: 'access-1',
  refresh_token: 'refresh-1',
  expires_in: 900,
  resident: { id: '0193a5c0-0000-7000-8000-0000000000aa', phone_masked: null },
}
