import { useRouter } from 'vue-router'
import { useAuth } from '@/stores/auth'
import { notifyError } from '@/utils/feedback'

/** Logging out from a page: the session ends in this browser even when the server's answer is an error (shown), and
 * the login page follows. */
export function useLogout(): () => Promise<void> {
  const router = useRouter()
  const auth = useAuth()
  return async () => {
    try {
      await auth.logout()
    } catch (error) {
      notifyError(error)
    }
    await router.replace('/login')
  }
}
