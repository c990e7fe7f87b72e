import { computed, reactive, ref, shallowRef } from 'vue'
import type { Page } from '@lianfang/shared'
import { notifyError } from '@/utils/feedback'

/**
 * Pages of a list the API serves with an opaque cursor: "下一页" follows `next_cursor`, "上一页" goes back to the
 * cursor the previous page was fetched with (the API cannot page backwards, so the cursors seen are kept).
 */
export function useCursorPage<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>) {
  const items = shallowRef<T[]>([])
  const loading = ref(false)
  const error = ref<unknown>(null)
  const cursors = ref<(string | null)[]>([null])
  const nextCursor = ref<string | null>(null)
  let generation = 0

  const pageNumber = computed(() => cursors.value.length)
  const hasNext = computed(() => nextCursor.value !== null)
  const hasPrevious = computed(() => cursors.value.length > 1)

  async function load(): Promise<void> {
    // A newer load (a new search while one is running) wins; the older answer is dropped.
    const mine = ++generation
    loading.value = true
    error.value = null
    try {
      const page = await fetchPage(cursors.value[cursors.value.length - 1])
      if (mine !== generation) return
      items.value = page.items
      nextCursor.value = page.next_cursor
    } catch (failure) {
      if (mine !== generation) return
      error.value = failure
      items.value = []
      nextCursor.value = null
      notifyError(failure)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  /** From the first page again (a new search, or after a change). */
  function reload(): Promise<void> {
    cursors.value = [null]
    return load()
  }

  function next(): Promise<void> {
    if (nextCursor.value === null) return Promise.resolve()
    cursors.value = [...cursors.value, nextCursor.value]
    return load()
  }

  function previous(): Promise<void> {
    if (cursors.value.length <= 1) return Promise.resolve()
    cursors.value = cursors.value.slice(0, -1)
    return load()
  }

  /** Everything CursorPager takes, its events included: `<CursorPager v-bind="list.pager" />`. */
  const pager = reactive({
    pageNumber,
    hasNext,
    hasPrevious,
    loading,
    count: computed(() => items.value.length),
    onNext: next,
    onPrevious: previous,
  })

  return { items, loading, error, pager, load, reload }
}

export type CursorPage<T> = ReturnType<typeof useCursorPage<T>>
