/** The Lianfang server this build talks to (its domain is also the mini-program's request domain in WeChat's console).
 * `LIANFANG_MP_API_ORIGIN=https://… npm run build` writes another into dist/. */
export const API_ORIGIN = 'https://lianfang.example.cn'
