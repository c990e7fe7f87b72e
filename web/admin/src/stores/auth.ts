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

  /** Every session of the account ends with the change, this one too: it logs in again with the new password. */
  async function changePassword(oldPassword: string, newPassword: string): Promise<void> {
    const username = account.value?.username
    await api.post('/api/auth/me/password', { old_password: oldPassword, new_password: newPassword })
    tokens.clear()
    if (username) await login(username, newPassword)
  }

  /** Any call answered 403 `password_change_required` (a superior reset the password meanwhile) says so. */
  function passwordChangeRequired(): void {
    if (account.value) account.value = { ...account.value, must_change_password: true }
  }

  /** Not for an account that must change its password first: the registry refuses it anything else. */
  async function loadRegion(): Promise<void> {
    if (account.value && !account.value.must_change_password) region.value = await api.get<RegionDetail>(`/api/registry/regions/${account.value.region_id}`)
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

  return { account, region, regionTrail, loggedIn, login, restore, logout, forget, changePassword, passwordChangeRequired }
})
