/** The few `wx` calls the pages await, as promises (the base library's own promise forms are not in every version). */

export function login(): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (result) => (result.code ? resolve(result.code) : reject(new Error('微信登录失败，请稍后重试'))),
      fail: (error) => reject(new Error(`微信登录失败：${error.errMsg}`)),
    })
  })
}

export function toast(title: string): void {
  wx.showToast({ title, icon: 'none', duration: 3000 })
}

/** What a handler reads of an event: its detail and the `data-*` of the element it was bound on. */
export interface UiEvent<Detail = unknown, Dataset = Record<string, never>> {
  detail: Detail
  currentTarget: { dataset: Dataset }
}
