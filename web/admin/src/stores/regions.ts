import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '@/api'
import type { RegionNode } from '@lianfang/shared'

/** The caller's region tree, fetched once and again after a change, shared by every page that shows it. */
export const useRegions = defineStore('regions', () => {
  const tree = ref<RegionNode | null>(null)
  let loading: Promise<RegionNode> | null = null

  async function load(force = false): Promise<RegionNode> {
    if (tree.value && !force) return tree.value
    loading ??= api.get<RegionNode>('/api/registry/regions/tree').finally(() => {
      loading = null
    })
    tree.value = await loading
    return tree.value
  }

  function find(id: number, node: RegionNode | null = tree.value): RegionNode | null {
    if (!node) return null
    if (node.id === id) return node
    for (const child of node.children) {
      const found = find(id, child)
      if (found) return found
    }
    return null
  }

  return { tree, load, find }
})
