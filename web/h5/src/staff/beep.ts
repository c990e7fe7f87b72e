/** A short two-tone beep through WebAudio: no sound file to download. Browsers allow sound only after a tap, so the
 * context is made on the first tap (`unlock`). */

let context: AudioContext | null = null

export function unlockSound(): void {
  if (!context && typeof AudioContext !== 'undefined') context = new AudioContext()
  void context?.resume().catch(() => null)
}

export function beep(urgent: boolean): void {
  if (!context) return
  const tones = urgent ? [880, 660, 880] : [740]
  tones.forEach((frequency, index) => {
    const oscillator = context!.createOscillator()
    const gain = context!.createGain()
    const start = context!.currentTime + index * 0.22
    oscillator.frequency.value = frequency
    oscillator.type = 'square'
    gain.gain.setValueAtTime(0.0001, start)
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02)
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18)
    oscillator.connect(gain).connect(context!.destination)
    oscillator.start(start)
    oscillator.stop(start + 0.2)
  })
}

/** Whether the browser lets the page make sound now (after a reload it does not until someone taps). */
export function soundAllowed(): boolean {
  return context !== null && context.state === 'running'
}

/** Calls back whenever the browser starts or stops letting the page make sound. */
export function onSoundAllowed(listener: (allowed: boolean) => void): void {
  unlockSound()
  if (!context) return
  context.addEventListener('statechange', () => listener(soundAllowed()))
  listener(soundAllowed())
}
