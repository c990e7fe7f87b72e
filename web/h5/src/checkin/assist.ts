/** The resident's own aids, kept on the phone: large type for the elderly, and the receipt spoken aloud (语音播报) so
 * the guard hears it. */

export type Aid = 'large' | 'speak'

const KEYS: Record<Aid, string> = { large: 'lf.assist.large', speak: 'lf.assist.speak' }

export function aidOn(aid: Aid, storage: Storage = localStorage): boolean {
  return storage.getItem(KEYS[aid]) === '1'
}

export function setAid(aid: Aid, on: boolean, storage: Storage = localStorage): void {
  if (on) storage.setItem(KEYS[aid], '1')
  else storage.removeItem(KEYS[aid])
}

/** Large type is a class on <html>: every size in the page's styles and Vant's follows it. */
export function applyLargeType(on: boolean, root: HTMLElement = document.documentElement): void {
  root.classList.toggle('lf-large', on)
}

/** Says `text` in Mandarin through the browser's speech synthesis, cutting off whatever it was saying; false where the
 * browser has none. */
export function speak(text: string, synthesis: SpeechSynthesis | undefined = globalThis.speechSynthesis): boolean {
  if (!synthesis || typeof SpeechSynthesisUtterance === 'undefined') return false
  synthesis.cancel()
  const utterance = new SpeechSynthesisUtterance(text)
  utterance.lang = 'zh-CN'
  utterance.rate = 0.9
  synthesis.speak(utterance)
  return true
}
