// Everything lives in the pages and lib/: the pages are opened straight from a scan (a poster's URL in `q`, a
// mini-program code's `scene`), so nothing may depend on App() having run first.
App({})
