// The one host function the core uses beyond the language itself; browsers, Node and the mini-program all have it.
declare function setTimeout(callback: () => void, milliseconds?: number): unknown
