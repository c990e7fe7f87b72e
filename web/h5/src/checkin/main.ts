import 'vant/es/toast/style'
import '../shared/base.css'

import { createApp } from 'vue'

import App from './App.vue'

createApp(App).mount('#app')
