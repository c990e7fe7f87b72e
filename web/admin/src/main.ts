import { createApp } from 'vue'
import { createPinia } from 'pinia'
// Components in templates bring their own styles (unplugin-vue-components); ElMessage and ElMessageBox are called from
// code, so theirs are imported here with everything they draw: the box's overlay (the mask that puts it in front of the
// page), its input and buttons. A bare el-message-box.css left a confirm box behind the table on pages without a dialog.
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import './styles.css'
import App from './App.vue'
import { router } from './router'

createApp(App).use(createPinia()).use(router).mount('#app')
