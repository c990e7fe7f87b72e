-- One database per store (DESIGN.md, Data): accounts, registry and the access log (trace) are small; records is the
-- large, sharded one.
CREATE DATABASE IF NOT EXISTS lianfang_accounts CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS lianfang_registry CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS lianfang_records CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS lianfang_trace CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
