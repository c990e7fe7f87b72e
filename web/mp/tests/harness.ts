/** The mini-program's world in a test: a `wx` that behaves as WeChat documents it (wx.request calls `success` with
 * `statusCode` for every HTTP status and `fail` only when no answer came), a scripted Lianfang server behind it, and the
 * built pages (dist/) loaded with miniprogram-simulate, which compiles their WXML with WeChat's own compiler. */

import Module, { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
export const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')

// The built pages require npm packages as WeChat does: from miniprogram_npm/, as miniprogram-ci packed them.
type Resolve = (request: string, ...rest: unknown[]) => string
const moduleWithResolve = Module as unknown as { _resolveFilename: Resolve }
const nodeResolve = moduleWithResolve._resolveFilename
moduleWithResolve._resolveFilename = function (request: string, ...rest: unknown[]) {
  if (request === '@lianfang/shared') return join(DIST, 'miniprogram_npm/@lianfang/shared/index.js')
  return nodeResolve.call(this, request, ...rest)
}

export interface SimulateComponent {
  instance: Record<string, (...args: never[]) => unknown> & { data: Record<string, unknown> }
  dom: HTMLElement
  querySelector(selector: string): SimulateComponent | undefined
  querySelectorAll(selector: string): SimulateComponent[]
  dispatchEvent(name: string, options?: { detail?: unknown }): void
  attach(parent: Element): void
  detach(): void
  triggerLifeTime(name: string): void
}

interface Simulate {
  load(path: string, options?: Record<string, unknown>): string
  render(id: string, properties?: Record<string, unknown>): SimulateComponent
}

export const simulate = require('miniprogram-simulate') as Simulate

export interface Sent {
  method: string
  path: string
  headers: Record<string, string>
  body: unknown
}

export type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'network-error'
type Handler = (request: Sent) => Answer

export class FakeServer {
  readonly requests: Sent[] = []
  private readonly routes: { method: string; path: string | RegExp; handler: Handler }[] = []

  on(method: string, path: string | RegExp, handler: Handler | Answer): this {
    const run = typeof handler === 'function' ? handler : () => handler
    this.routes.unshift({ method, path, handler: run })
    return this
  }

  /** Answers the next matching request with `answer`, then falls back to the routes before it. */
  once(method: string, path: string | RegExp, answer: Answer): this {
    const route = {
      method,
      path,
      handler: (): Answer => {
        this.routes.splice(this.routes.indexOf(route), 1)
        return answer
      },
    }
    this.routes.unshift(route)
    return this
  }

  sent(method: string, path: string | RegExp): Sent[] {
    return this.requests.filter((request) => request.method === method && matches(path, request.path))
  }

  answer(request: Sent): Answer {
    this.requests.push(request)
    const route = this.routes.find((candidate) => candidate.method === request.method && matches(candidate.path, request.path))
    return route ? route.handler(request) : { status: 404, body: problem(404, 'not_found', '未找到') }
  }
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path.split('?')[0] : pattern.test(path)
}

export function problem(status: number, code: string, title: string, extra: Record<string, unknown> = {}) {
  return { type: 'about:blank', title, status, code, ...extra }
}

export interface Position {
  latitude: number
  longitude: number
  accuracy: number
}

export interface FakeWx {
  /** What wx.getLocation answers: a position, or the resident's refusal of the permission. */
  location: Position | 'auth deny'
  /** Whether the resident agreed to the privacy agreement (WeChat asks the page first, once). */
  privacyAgreed: boolean
  locationAsked: number
  /** The templates each wx.requestSubscribeMessage asked for, and what the resident answers. */
  subscribeRequests: string[][]
  subscribeAnswer: 'accept' | 'reject'
  /** Templates the resident turns down even when they accept the others. */
  subscribeRefused: string[]
  storage: Map<string, string>
  toasts: string[]
  navigations: string[]
  titles: string[]
  logins: number
  scene: number
  loginCode: string
}

/** A new launch of the mini-program: a fresh `wx` global over `server` with empty storage, and the built modules loaded
 * anew (their login, queue and timers are per launch, as on a phone). */
export function installWx(server: FakeServer, options: { scene?: number; storage?: Map<string, string> } = {}): FakeWx {
  const scene = options.scene ?? 1011
  for (const path of Object.keys(require.cache)) {
    if (path.startsWith(DIST) && !path.includes('miniprogram_npm')) delete require.cache[path]
  }
  let privacyListener: ((resolve: (answer: { event: string; buttonId?: string }) => void) => void) | null = null
  const state: FakeWx = {
    location: { latitude: 38.06351, longitude: 114.51482, accuracy: 35 },
    privacyAgreed: false,
    locationAsked: 0,
    subscribeRequests: [],
    subscribeAnswer: 'accept',
    subscribeRefused: [],
    storage: options.storage ?? new Map(), toasts: [], navigations: [], titles: [], logins: 0, scene, loginCode: 'wx-login-code' }
  const origin = 'https://lianfang.example.cn'
  const wx = {
    request(option: {
      url: string
      method: string
      header: Record<string, string>
      data?: string
      success: (result: { data: unknown; statusCode: number; header: Record<string, string> }) => void
      fail: (error: { errMsg: string }) => void
    }) {
      if (!option.url.startsWith(origin)) throw new Error(`request to another domain: ${option.url}`)
      const path = option.url.slice(origin.length)
      const body = option.data === undefined ? undefined : JSON.parse(option.data)
      const answer = server.answer({ method: option.method, path, headers: option.header, body })
      setTimeout(() => {
        if (answer === 'network-error') option.fail({ errMsg: 'request:fail timeout' })
        else
          option.success({
            data: answer.body === undefined ? '' : answer.body,
            statusCode: answer.status,
            header: { 'Content-Type': 'application/json', ...answer.headers },
          })
      }, 0)
      return { abort() {} }
    },
    login(option: { success: (result: { code: string; errMsg: string }) => void }) {
      state.logins += 1
      setTimeout(() => option.success({ code: `${state.loginCode}-${state.logins}`, errMsg: 'login:ok' }), 0)
    },
    onNeedPrivacyAuthorization(listener: typeof privacyListener) {
      privacyListener = listener
    },
    getLocation(option: {
      type: string
      success: (result: Position & { errMsg: string }) => void
      fail: (error: { errMsg: string }) => void
    }) {
      state.locationAsked += 1
      const answer = () => {
        if (state.location === 'auth deny') option.fail({ errMsg: 'getLocation:fail auth deny' })
        else option.success({ ...state.location, errMsg: 'getLocation:ok' })
      }
      if (state.privacyAgreed || !privacyListener) return void setTimeout(answer, 0)
      // As WeChat does: the call waits while the page shows its agreement, then goes on or fails.
      privacyListener((choice) => {
        if (choice.event === 'agree') {
          state.privacyAgreed = true
          answer()
        } else if (choice.event === 'disagree') {
          option.fail({ errMsg: 'getLocation:fail privacy permission is not authorized' })
        }
      })
    },
    requestSubscribeMessage(option: {
      tmplIds: string[]
      success?: (result: Record<string, string>) => void
      complete?: () => void
    }) {
      state.subscribeRequests.push(option.tmplIds)
      setTimeout(() => {
        const answers = Object.fromEntries(
          option.tmplIds.map((id) => [id, state.subscribeRefused.includes(id) ? 'reject' : state.subscribeAnswer]),
        )
        option.success?.({ ...answers, errMsg: 'requestSubscribeMessage:ok' })
        option.complete?.()
      }, 0)
    },
    getStorageSync: (key: string) => state.storage.get(key) ?? '',
    setStorageSync: (key: string, value: string) => void state.storage.set(key, value),
    removeStorageSync: (key: string) => void state.storage.delete(key),
    getEnterOptionsSync: () => ({ scene: state.scene, path: 'pages/checkin/index', query: {} }),
    showToast: (option: { title: string }) => void state.toasts.push(option.title),
    setNavigationBarTitle: (option: { title: string }) => void state.titles.push(option.title),
    navigateTo: (option: { url: string }) => void state.navigations.push(option.url),
    // What Vant Weapp asks of the base library when it draws.
    getSystemInfoSync: () => ({ SDKVersion: '3.3.4', pixelRatio: 2, windowWidth: 375, windowHeight: 667, platform: 'devtools' }),
    getWindowInfo: () => ({ pixelRatio: 2, windowWidth: 375, windowHeight: 667, screenWidth: 375, screenHeight: 667, statusBarHeight: 20 }),
    getDeviceInfo: () => ({ platform: 'devtools', system: 'iOS 17' }),
    getAppBaseInfo: () => ({ SDKVersion: '3.3.4', theme: 'light' }),
    canIUse: () => true,
    nextTick: (callback: () => void) => setTimeout(callback, 0),
    createSelectorQuery: () => {
      const query = {
        in: () => query,
        select: () => query,
        selectAll: () => query,
        boundingClientRect: () => query,
        fields: () => query,
        exec: (callback?: (result: unknown[]) => void) => callback?.([]),
      }
      return query
    },
  }
  ;(globalThis as unknown as { wx: unknown }).wx = wx
  return state
}

/** Loads a built page or component and attaches it to the document. */
export function mount(path: string, properties?: Record<string, unknown>): SimulateComponent {
  const id = simulate.load(join(DIST, path), { rootPath: DIST })
  const component = simulate.render(id, properties)
  component.attach(document.createElement('parent-wrapper'))
  return component
}

/** Lets every pending request and timer at 0 ms run (the fake server answers on the next macrotask). */
export async function settle(rounds = 8): Promise<void> {
  for (let round = 0; round < rounds; round += 1) await new Promise((resolve) => setTimeout(resolve, 0))
}

/** The text a person sees: each element's own text, one space between, whitespace folded. */
export function text(component: SimulateComponent | undefined): string {
  if (!component) return ''
  const parts: string[] = []
  const walker = document.createTreeWalker(component.dom, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) parts.push(node.textContent ?? '')
  return parts.join(' ').replace(/\s+/g, ' ').trim()
}

/** The page's receipt component, or undefined. */
export function receiptOf(page: SimulateComponent): SimulateComponent | undefined {
  return page.querySelector('.receipt-view')
}
