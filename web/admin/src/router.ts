import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { whenSessionLost } from '@/api'
import { useAuth } from '@/stores/auth'

export interface MenuEntry {
  path: string
  title: string
  icon: string
}

const pages: (RouteRecordRaw & { meta: { title: string; icon: string } })[] = [
  { path: 'dashboard', component: () => import('@/views/DashboardView.vue'), meta: { title: '首页', icon: 'Odometer' } },
  { path: 'regions', component: () => import('@/views/RegionsView.vue'), meta: { title: '地区与账号', icon: 'OfficeBuilding' } },
  { path: 'checkpoints', component: () => import('@/views/CheckpointsView.vue'), meta: { title: '卡口管理', icon: 'Location' } },
  { path: 'templates', component: () => import('@/views/TemplatesView.vue'), meta: { title: '登记表单', icon: 'Document' } },
  { path: 'records', component: () => import('@/views/RecordsView.vue'), meta: { title: '登记记录', icon: 'Tickets' } },
  { path: 'trajectory', component: () => import('@/views/TrajectoryView.vue'), meta: { title: '轨迹查询', icon: 'Guide' } },
  { path: 'contacts', component: () => import('@/views/ContactsView.vue'), meta: { title: '密接筛查', icon: 'Connection' } },
  { path: 'alerts', component: () => import('@/views/AlertsView.vue'), meta: { title: '异常预警', icon: 'Warning' } },
  { path: 'audit-log', component: () => import('@/views/AuditLogView.vue'), meta: { title: '访问日志', icon: 'Memo' } },
]

export const menu: MenuEntry[] = pages.map((page) => ({ path: `/${page.path}`, ...page.meta }))

export const router = createRouter({
  history: createWebHistory('/admin/'),
  routes: [
    { path: '/login', component: () => import('@/views/LoginView.vue'), meta: { public: true, title: '登录' } },
    {
      path: '/',
      component: () => import('@/layout/AdminLayout.vue'),
      redirect: '/dashboard',
      children: [
        ...pages,
        { path: ':missing(.*)*', component: () => import('@/views/NotFoundView.vue'), meta: { title: '页面不存在' } },
      ],
    },
  ],
})

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  const auth = useAuth()
  try {
    if (await auth.restore()) return true
  } catch (error) {
    const reason = error instanceof Error ? error.message : '登录状态无法确认，请重新登录'
    auth.forget()
    return { path: '/login', query: { redirect: to.fullPath, reason } }
  }
  return { path: '/login', query: { redirect: to.fullPath } }
})

router.afterEach((to) => {
  const title = typeof to.meta.title === 'string' ? to.meta.title : ''
  document.title = title ? `${title} · 联防联控服务与管理系统` : '联防联控服务与管理系统'
})

whenSessionLost((message) => {
  useAuth().forget()
  const current = router.currentRoute.value
  // During the first navigation (nothing matched yet) the guard itself sends the page to the login.
  if (current.matched.length > 0 && current.path !== '/login') {
    void router.replace({ path: '/login', query: { redirect: current.fullPath, reason: message } })
  }
})
