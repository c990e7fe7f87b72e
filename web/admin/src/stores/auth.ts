import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, tokens } from '@/api'
import type { Account, AdminSession, RegionDetail } from '@lianfang/shared'

export const useAuth = defineStore('auth', () => {
  const account = ref<Account | null>(null)
  const region = ref<RegionDetail | null>(null)
  const loggedIn = computed(() => account.value !== null)
  const regionTrail = computed(() =>
    region.value ? [...region.value.ancestors.map((ancestor) => ancestor.name), region.value.name].join(' › ') : '',
  )

  async function login(username: string, password: string): Promise<void> {
    const session = await api.request<AdminSession>('POST', '/api/auth/admin/login', {
      json: { username, password },
      anonymous: true,
    })
    tokens.save(session)
    account.value = session.account
    await loadRegion()
  }

  /** After a reload: the tokens are in storage, the account is asked for again. */
  async function restore(): Promise<boolean> {
    if (account.value) return true
    if (!tokens.refresh()) return false
    account.value = await api.get<Account>('/api/auth/me')
    await loadRegion()
    return true
  }

  async function loadRegion(): Promise<void> {
    if (account.value) region.value = await api.get<RegionDetail>(`/api/registry/regions/${account.value.region_id}`)
  }

  async function logout(): Promise<void> {
    const refreshToken = tokens.refresh()
    forget()
    if (refreshToken) {
      await api.request('POST', '/api/auth/logout', { json: { refresh_token: refreshToken }, anonymous: true })
    }
  }

  function forget(): void {
    tokens.clear()
    account.value = null
    region.value = null
  }

  return { account, region, regionTrail, loggedIn, login, restore, logout, forget }
})
