/** The check-in page: opened by a scan, logs in once, shows the checkpoint's form prefilled (the server's answers, then
 * this phone's), asks for a temperature only when no valid one is on record, sends through the retry queue and turns
 * into the full-screen receipt. Written with Component() as WeChat allows for pages, so tests load it as it is. */

import {
  ApiError,
  type Answer,
  type Answers,
  answersProblems,
  answersToSend,
  asksDirection,
  type CheckinSummary,
  type CheckpointPage,
  type ConsentState,
  companionFields,
  companionName,
  type Direction,
  hourMinute,
  knownCompanions,
  type Location,
  MAX_COMPANIONS,
  NetworkError,
  type Page,
  type PhoneBound,
  type PrivacyNotice,
  type Receipt,
  receiptHeadline,
  type RecordStatus,
  startingAnswers,
  temperatureProblem,
  temperatureValue,
  validityNote,
} from '@lianfang/shared'

import { checkpointCode, type EntryQuery, fromPicture } from '../../lib/entry'
import { fieldViews } from '../../lib/form'
import { api, CONSENT_KEY, ensureLogin, loginConfig, memory, queue, storage } from '../../lib/session'
import { toast, type UiEvent } from '../../lib/wxp'

interface Companion {
  answers: Answers
  temperature: string
}

interface Known {
  name: string
  answers: Answers
}

type View = 'loading' | 'problem' | 'form' | 'receipt'

// A pending receipt asks for its decision this often, until staff decide.
const POLL_MS = 5000

const initial = {
  view: 'loading' as View,
  problem: '',
  code: '',
  page: null as CheckpointPage | null,
  region: '',
  closed: false,
  fields: [] as ReturnType<typeof fieldViews>,
  // A companion's own phone may be left out: the server reaches them through the resident's.
  theirFields: [] as ReturnType<typeof fieldViews>,
  answers: {} as Answers,
  note: '',
  lastValue: '',
  temperature: '',
  twoWay: false,
  direction: 'in' as Direction,
  companions: [] as Companion[],
  known: [] as Known[],
  canAddCompanion: true,
  errors: {} as Record<string, string>,
  sending: false,
  retrying: '',
  queued: false,
  receipt: null as Receipt | null,
  fromPicture: false,
  scene: 0,
  decisionTemplate: '',
  reminderTemplate: '',
  riskTemplate: '',
  // 个人信息处理告知: the form shows once the resident agreed to the current version.
  consent: 'unknown' as 'unknown' | 'given' | 'needed' | 'refused',
  notice: null as PrivacyNotice | null,
  agreeing: false,
  shareLocation: false,
  privacyAsked: false,
  // Checked in here within the kind's assumed stay: 登记离开 comes first, unless the resident chose to check in again.
  stayLine: '',
  entering: false,
}

// Each open page's poll timer and pending privacy answer (neither is view data).
const polls = new WeakMap<object, ReturnType<typeof setInterval>>()
type PrivacyAnswer = (answer: { buttonId?: string; event: 'agree' | 'disagree' }) => void
const privacyAnswers = new WeakMap<object, PrivacyAnswer>()
const LOCATION_CHOICE_KEY = 'lf.location.share'

function locationChoice(): boolean {
  return storage.getItem(LOCATION_CHOICE_KEY) === 'yes'
}

function rememberLocationChoice(share: boolean): void {
  storage.setItem(LOCATION_CHOICE_KEY, share ? 'yes' : 'no')
}

/** Asks, in one dialog, to send each of these messages once; the templates the resident accepted. Whatever they
 * answer, the check-in goes on. */
function subscribe(templates: string[]): Promise<Set<string>> {
  if (!templates.length) return Promise.resolve(new Set())
  return new Promise((resolve) => {
    wx.requestSubscribeMessage({
      tmplIds: templates,
      success: (answers: Record<string, string>) =>
        resolve(new Set(templates.filter((template) => answers[template] === 'accept'))),
      fail: () => resolve(new Set()),
    } as WechatMiniprogram.RequestSubscribeMessageOption)
  })
}

/** The phone's position in GCJ-02, or null when the resident or WeChat refused it (`getLocation:fail auth deny`, the
 * privacy agreement declined, location off). */
function position(): Promise<Location | null> {
  return new Promise((resolve) => {
    wx.getLocation({
      type: 'gcj02',
      success: (result) =>
        resolve({ latitude: result.latitude, longitude: result.longitude, accuracy: Math.round(result.accuracy) }),
      fail: () => resolve(null),
    })
  })
}

function problemMessage(error: unknown): string {
  if (error instanceof NetworkError) return '网络不佳，请检查网络后重试'
  return (error as Error).message
}

Component({
  data: initial,

  lifetimes: {
    detached() {
      this.stopPolling()
    },
  },

  methods: {
    onLoad(query: EntryQuery) {
      const code = checkpointCode(query)
      if (!code) {
        this.setData({ view: 'problem', problem: '二维码中没有卡口编号，请扫描卡口张贴的二维码' })
        return
      }
      const scene = wx.getEnterOptionsSync().scene
      this.setData({
        code,
        scene,
        fromPicture: fromPicture(scene),
        direction: query.direction === 'out' ? 'out' : 'in',
        shareLocation: locationChoice(),
      })
      // WeChat asks the page to show its privacy agreement before the first getLocation; the page's own dialog
      // answers with the agree button (open-type="agreePrivacyAuthorization") or 不同意.
      const listener = (resolve: PrivacyAnswer) => {
        privacyAnswers.set(this, resolve)
        this.setData({ privacyAsked: true })
      }
      // The typings call the listener's argument a result; WeChat passes the resolve function it documents.
      wx.onNeedPrivacyAuthorization(listener as unknown as WechatMiniprogram.OnNeedPrivacyAuthorizationCallback)
      void this.load()
    },

    onUnload() {
      this.stopPolling()
    },

    async load() {
      const code = this.data.code
      try {
        await ensureLogin()
        const page = await api.get<CheckpointPage>(`/api/checkin/checkpoints/${encodeURIComponent(code)}`)
        this.show(page)
        const config = await loginConfig().catch(() => null)
        this.setData({
          decisionTemplate: config?.decision_template ?? '',
          reminderTemplate: config?.checkout_reminder_template ?? '',
          riskTemplate: config?.risk_notice_template ?? '',
        })
        await this.checkConsent(config?.privacy_notice_version ?? null)
      } catch (error) {
        const problem =
          error instanceof ApiError && error.status === 404 ? '未找到该卡口，请核对二维码' : problemMessage(error)
        this.setData({ view: 'problem', problem })
        return
      }
      this.resume()
    },

    /** Whether the resident agreed to the current privacy notice: this phone remembers it, else the server says. */
    async checkConsent(current: string | null) {
      if (current && storage.getItem(CONSENT_KEY) === current) {
        this.setData({ consent: 'given' })
        return
      }
      try {
        const state = await api.get<ConsentState>('/api/auth/me/privacy-consent')
        if (!state.needed) {
          storage.setItem(CONSENT_KEY, state.current_version)
          this.setData({ consent: 'given' })
          return
        }
        const notice = await api.request<PrivacyNotice>('GET', '/api/auth/privacy-notice', { anonymous: true })
        this.setData({ consent: 'needed', notice })
      } catch (error) {
        this.setData({ view: 'problem', problem: problemMessage(error) })
      }
    },

    async onAgree() {
      const notice = this.data.notice
      if (!notice || this.data.agreeing) return
      this.setData({ agreeing: true })
      try {
        const state = await api.post<ConsentState>('/api/auth/me/privacy-consent', { version: notice.version })
        storage.setItem(CONSENT_KEY, state.current_version)
        this.setData({ consent: 'given' })
      } catch (error) {
        toast(problemMessage(error))
        // A notice changed meanwhile: the new text comes back.
        await this.checkConsent(null)
      } finally {
        this.setData({ agreeing: false })
      }
    },

    onRefuse() {
      this.setData({ consent: 'refused' })
    },

    show(page: CheckpointPage) {
      const fields = page.form.fields
      const note = validityNote(page.temperature) ?? ''
      wx.setNavigationBarTitle({ title: page.checkpoint.name })
      this.setData({
        view: 'form',
        page,
        region: page.checkpoint.region_names.join(' › '),
        closed: !page.checkpoint.active,
        fields: fieldViews(fields),
        theirFields: fieldViews(companionFields(fields)),
        answers: startingAnswers(fields, page.prefill, memory.answers()),
        note,
        lastValue: page.temperature.last ? page.temperature.last.value.toFixed(1) : '',
        temperature: '',
        twoWay: asksDirection(page.checkpoint.kind) || this.data.direction === 'out',
        companions: [],
        errors: {},
        queued: queue.pending(page.checkpoint.code) !== null,
        stayLine: stayLine(page),
        entering: false,
      })
      this.refreshKnown()
    },

    refreshKnown() {
      const page = this.data.page
      if (!page) return
      const fields = page.form.fields
      const added = this.data.companions.map((companion) => companion.answers)
      const known = knownCompanions(fields, page.companions, memory.companions(), added).map((answers) => ({
        name: companionName(fields, answers),
        answers,
      }))
      this.setData({ known, canAddCompanion: added.length < MAX_COMPANIONS })
    },

    /** A field typed or picked: `data-path` names where its value goes (answers.name, companions[0].answers.name …). */
    onField(event: UiEvent<Answer | { value: Answer }, { path: string }>) {
      const detail = event.detail
      const value = detail !== null && typeof detail === 'object' && !Array.isArray(detail) ? detail.value : detail
      const path = event.currentTarget.dataset.path
      this.setData({ [path]: value, [`errors.${errorKey(path)}`]: '' })
    },

    onShareLocation(event: UiEvent<boolean>) {
      rememberLocationChoice(event.detail)
      this.setData({ shareLocation: event.detail })
    },

    onPrivacyAgree() {
      privacyAnswers.get(this)?.({ buttonId: 'agree-privacy', event: 'agree' })
      privacyAnswers.delete(this)
      this.setData({ privacyAsked: false })
    },

    onPrivacyRefuse() {
      privacyAnswers.get(this)?.({ event: 'disagree' })
      privacyAnswers.delete(this)
      this.setData({ privacyAsked: false })
    },

    /** 登记离开: the stay's people leave; nothing to fill in, sent through the same retry queue. */
    onLeave() {
      const page = this.data.page
      if (!page || this.data.sending) return
      this.setData({ sending: true })
      const sent = queue.submit({ checkpoint_code: page.checkpoint.code }, (...args) => this.retrying(...args))
      void this.deliver(sent)
    },

    onEnterAgain() {
      this.setData({ entering: true })
    },

    onRemeasure() {
      this.setData({ note: '' })
    },

    onDirection(event: UiEvent<Direction>) {
      this.setData({ direction: event.detail })
    },

    addCompanion(event: UiEvent<unknown, { index?: number }>) {
      const index = event.currentTarget.dataset.index
      const from = index === undefined ? {} : this.data.known[index].answers
      if (this.data.companions.length >= MAX_COMPANIONS) return
      this.setData({ companions: [...this.data.companions, { answers: { ...from }, temperature: '' }] })
      this.refreshKnown()
    },

    removeCompanion(event: UiEvent<unknown, { index: number }>) {
      const companions = this.data.companions.filter((_, index) => index !== event.currentTarget.dataset.index)
      const errors = Object.fromEntries(Object.entries(this.data.errors).filter(([key]) => !key.startsWith('companions')))
      this.setData({ companions, errors })
      this.refreshKnown()
    },

    /** The getPhoneNumber button: WeChat's one-time code, traded by the server once per resident. */
    async onPhone(event: UiEvent<{ code?: string; errMsg: string }, { path: string }>) {
      const code = event.detail.code
      if (!code) return // the resident declined: they type it instead
      try {
        const bound = await api.post<PhoneBound>('/api/auth/wechat/phone', { code })
        const path = event.currentTarget.dataset.path
        this.setData({ [path]: bound.phone, [`errors.${errorKey(path)}`]: '' })
      } catch (error) {
        toast(problemMessage(error))
      }
    },

    check(): Record<string, string> {
      const page = this.data.page as CheckpointPage
      const fields = page.form.fields
      const problems: Record<string, string> = {}
      for (const [key, message] of Object.entries(answersProblems(fields, this.data.answers))) {
        problems[`answers.${key}`] = message
      }
      const own = temperatureProblem(this.data.temperature, this.data.note === '')
      if (own) problems.temperature = own
      this.data.companions.forEach((companion, index) => {
        for (const [key, message] of Object.entries(answersProblems(companionFields(fields), companion.answers))) {
          problems[`companions.${index}.answers.${key}`] = message
        }
        const problem = temperatureProblem(companion.temperature, false)
        if (problem) problems[`companions.${index}.temperature`] = problem
      })
      return problems
    },

    async onSubmit() {
      const page = this.data.page
      if (!page || this.data.sending) return
      const problems = this.check()
      if (Object.keys(problems).length) {
        this.setData({ errors: flatErrors(problems) })
        toast(Object.values(problems)[0])
        return
      }
      // WeChat shows its subscribe dialog only from the tap itself, before anything is awaited: one acceptance lets
      // the server send one message: the approval result, the reminder to check out when the stay is over, and the
      // risk notice an official sends should this visit make the resident someone's contact (WeChat's 43101 tells the
      // server who did not accept it).
      const direction = this.data.twoWay ? this.data.direction : 'in'
      const reminder = direction === 'in' ? this.data.reminderTemplate : ''
      const decision = page.checkpoint.requires_audit ? this.data.decisionTemplate : ''
      const subscribed = subscribe([decision, reminder, this.data.riskTemplate].filter(Boolean))
      const fields = page.form.fields
      const answers = answersToSend(fields, this.data.answers)
      const companions = this.data.companions.map((companion) => answersToSend(fields, companion.answers))
      memory.remember(answers, companions)
      this.setData({ errors: {}, sending: true })
      const accepted = await subscribed
      // Only what the resident agreed to share, and never a reason not to check in.
      const location = this.data.shareLocation ? await position() : null
      if (this.data.shareLocation && !location) {
        toast('未获得位置授权，本次登记不附带位置')
        rememberLocationChoice(false)
        this.setData({ shareLocation: false })
      }
      const sent = queue.submit(
        {
          location,
          location_consent: location !== null,
          scan_scene: this.data.scene || null,
          checkpoint_code: page.checkpoint.code,
          answers,
          temperature: temperatureValue(this.data.temperature),
          direction,
          remind_checkout: reminder !== '' && accepted.has(reminder),
          companions: this.data.companions.map((companion, index) => ({
            answers: companions[index],
            temperature: temperatureValue(companion.temperature),
          })),
        },
        (reason, attempt, waitMs) => this.retrying(reason, attempt, waitMs),
      )
      void this.deliver(sent)
    },

    retrying(reason: Error, attempt: number, waitMs: number) {
      const why = reason instanceof NetworkError ? '网络不佳' : '服务繁忙'
      this.setData({ retrying: `${why}，${Math.round(waitMs / 1000)} 秒后自动重试（第 ${attempt} 次），请勿退出` })
    },

    async deliver(sent: Promise<Receipt>) {
      this.setData({ sending: true })
      try {
        const receipt = await sent
        this.setData({ view: 'receipt', receipt, queued: false })
        wx.setNavigationBarTitle({ title: receiptHeadline(receipt) })
        this.startPolling()
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          toast('登录已过期，正在重新登录后提交')
          await ensureLogin().then(
            () => this.deliver(queue.flush(this.data.code, (...args) => this.retrying(...args))),
            (failure: unknown) => toast(problemMessage(failure)),
          )
          return
        }
        if (error instanceof ApiError) {
          const problems: Record<string, string> = {}
          for (const problem of error.errors) problems[problem.field] = problem.message
          this.setData({ errors: flatErrors(problems) })
        }
        toast(problemMessage(error))
      } finally {
        this.setData({ sending: false, retrying: '' })
      }
    },

    /** A check-in queued before the mini-program was closed goes out again with its first client_id. */
    resume() {
      if (queue.pending(this.data.code)) {
        void this.deliver(queue.flush(this.data.code, (...args) => this.retrying(...args)))
      }
    },

    startPolling() {
      this.stopPolling()
      polls.set(this, setInterval(() => void this.poll(), POLL_MS))
    },

    stopPolling() {
      const timer = polls.get(this)
      if (timer !== undefined) clearInterval(timer)
      polls.delete(this)
    },

    /** Every person's status as staff decide: the resident's and each companion's. */
    async poll() {
      const receipt = this.data.receipt
      if (!receipt || this.data.view !== 'receipt') return this.stopPolling()
      const waiting = [receipt.status, ...receipt.companions.map((companion) => companion.status)].includes('pending')
      if (!waiting) return this.stopPolling()
      let recent: Page<CheckinSummary>
      try {
        recent = await api.get<Page<CheckinSummary>>('/api/checkin/me/checkins', { limit: 20 })
      } catch {
        return // the next poll tries again
      }
      const byId = new Map(recent.items.map((item) => [item.id, item]))
      const updated = (id: string, status: RecordStatus, label: string) => {
        const found = byId.get(id)
        return found ? { status: found.status, status_label: found.status_label } : { status, status_label: label }
      }
      this.setData({
        receipt: {
          ...receipt,
          ...updated(receipt.id, receipt.status, receipt.status_label),
          companions: receipt.companions.map((companion) => ({
            ...companion,
            ...updated(companion.id, companion.status, companion.status_label),
          })),
        },
      })
    },

    onAgain() {
      this.stopPolling()
      this.setData({ view: 'loading', receipt: null })
      void this.load()
    },

    onHistory() {
      wx.navigateTo({ url: '/pages/mine/index' })
    },
  },
})

function stayLine(page: CheckpointPage): string {
  const stay = page.stay
  if (!stay) return ''
  const others = stay.names_masked.length - 1
  return `您于 ${hourMinute(new Date(stay.checked_at))} 在此登记进入${others > 0 ? `（含同行 ${others} 人）` : ''}`
}

/** The key of a field's complaint as the WXML reads it, from a data path or a problem's field alike:
 * `answers.name` → `answers-name`, `companions[0].temperature` and `companions.0.temperature` → `companions-0-temperature`
 * (setData takes dots as nesting, so none may stay). */
function errorKey(path: string): string {
  return path.replace(/[.[\]]+/g, '-').replace(/-$/, '')
}

function flatErrors(problems: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(problems).map(([path, message]) => [errorKey(path), message]))
}
