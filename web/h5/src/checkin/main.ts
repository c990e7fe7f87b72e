import 'vant/es/toast/style'
import '../shared/base.css'

import { createApp } from 'vue'

import App from './App.vue'
import { takeShell } from './shell'

createApp(App, { shell: takeShell() }).mount('#app')
