import { createRouter, createWebHistory, type RouteLocationRaw, type RouteRecordRaw } from 'vue-router'
import { whenPasswordChangeRequired, whenSessionLost } from '@/api'
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
  { path: 'login-log', component: () => import('@/views/LoginLogView.vue'), meta: { title: '登录日志', icon: 'Key' } },
  {
    path: 'operation-log',
    component: () => import('@/views/OperationLogView.vue'),
    meta: { title: '操作日志', icon: 'Operation' },
  },
]

export const menu: MenuEntry[] = pages.map((page) => ({ path: `/${page.path}`, ...page.meta }))

export const router = createRouter({
  history: createWebHistory('/admin/'),
  routes: [
    { path: '/login', component: () => import('@/views/LoginView.vue'), meta: { public: true, title: '登录' } },
    { path: '/password', component: () => import('@/views/PasswordView.vue'), meta: { title: '修改初始密码' } },
    {
      path: '/',
      component: () => import('@/layout/AdminLayout.vue'),
      redirect: '/dashboard',
      children: [
        ...pages,
        { path: 'profile', component: () => import('@/views/ProfileView.vue'), meta: { title: '个人中心' } },
        { path: ':missing(.*)*', component: () => import('@/views/NotFoundView.vue'), meta: { title: '页面不存在' } },
      ],
    },
  ],
})

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  const auth = useAuth()
  try {
    if (await auth.restore()) return passwordFirst(to.path, to.fullPath)
  } catch (error) {
    const reason = error instanceof Error ? error.message : '登录状态无法确认，请重新登录'
    auth.forget()
    return { path: '/login', query: { redirect: to.fullPath, reason } }
  }
  return { path: '/login', query: { redirect: to.fullPath } }
})

/** An account whose password a superior set changes it before anything else (the API refuses everything else). */
function passwordFirst(path: string, fullPath: string): true | RouteLocationRaw {
  const pending = useAuth().account?.must_change_password === true
  if (pending && path !== '/password') return { path: '/password', query: { redirect: fullPath } }
  if (!pending && path === '/password') return '/profile'
  return true
}

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

whenPasswordChangeRequired(() => {
  useAuth().passwordChangeRequired()
  const current = router.currentRoute.value
  if (current.path !== '/password') void router.replace({ path: '/password', query: { redirect: current.fullPath } })
})
