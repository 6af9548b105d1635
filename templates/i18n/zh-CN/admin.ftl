# samlgate admin pages (zh-CN). Every message has a twin in the other language (a test checks).
# 伙伴中心的字段名本身是中文：页面在两种语言中都显示中文字段名及其英文说明。
# 参数：$product 是 ui.product_name；$zone 是 ui.timezone 的 IANA 名称；$date 是已按该时区格式化的时间。

## 通用：导航、标题、表格、翻页
admin-brand = { $product } 管理后台
admin-title = { $page } · 管理后台
admin-nav-overview = 概览
admin-nav-return-urls = 回跳地址
admin-nav-bindings = 账号绑定
admin-nav-audit = 审计日志
admin-sign-out = 退出登录
admin-newer = ← 较新
admin-older = 较早 →
admin-page-number = 第 { $n } 页
admin-col-time = 时间（{ $zone }）
admin-col-kind = 类型
admin-col-actor = 操作者
admin-col-subject = 对象
admin-col-detail = 详情
admin-time-zoned = { $time }（{ $zone }）
admin-full-stop = 。
admin-list-separator = ；
admin-level-ok = 正常
admin-level-warn = 警告
admin-level-bad = 错误

## 登录
admin-login-title = 登录
admin-login-name = 用户名
admin-login-password = 密码
admin-login-submit = 登录
admin-login-wrong = 用户名或密码错误。
admin-login-locked = 此账号因多次登录失败已被暂时锁定，请在 { $seconds } 秒后重试。

## 尚无管理员用户
admin-setup-title = 管理后台设置
admin-setup-heading = 尚无管理员用户
admin-setup-what = 管理后台需要至少一个管理员用户。请在网关所在的主机上创建（无需重启）：
admin-setup-password-before = 密码从标准输入读取，也可以用
admin-setup-password-after = {" "}从环境变量读取。
admin-setup-hash-before = 只保存密码的 argon2id 哈希值，存放在网关的存储中（所有副本都能看到）。配置文件中
admin-setup-hash-after = {" "}下的用户同样有效。

## 概览：伙伴中心接入配置清单
admin-overview-title = 概览
admin-checklist-heading = 接入配置清单
admin-checklist-where = 在伙伴中心 → 服务支持 → 能力开放 → 接入配置 页面上填写以下内容。
admin-col-field = 伙伴中心字段
admin-col-value = 填写内容
admin-col-notes = 说明
admin-metadata-download = 下载 IDP Metadata.xml
admin-note-metadata = 上传此文件（{ $bytes } 字节；上限为 2 MB）
admin-note-notification = 客户首次登录后，华为云将绑定结果发送到此地址
admin-note-redirects = 跳转到 { $url }
admin-note-no-target = 尚未设置跳转目标：请在“回跳地址”页面设置（在此之前该链接返回 404）
admin-cert-fingerprint = IdP 证书 SHA-256 指纹
admin-cert-valid-until = 有效期至 { $date }，剩余 { $days } 天
admin-cert-expired-on = 已于 { $date } 过期（{ $days } 天前）
admin-metadata-size = 元数据 { $bytes } 字节
admin-status-heading = 状态
admin-card-bindings = 账号绑定
admin-card-list = 列表
admin-card-recent = 最近的审计事件
admin-card-all = 全部
admin-recent-heading = 最近的审计事件
admin-none-yet = 暂无。

## 概览：状态检查
admin-check-entity-id-https = entityID 使用 https
admin-check-entity-id-not-https = entityID 未使用 https
admin-check-entity-id-not-https-detail = { $url }：华为云在生产环境中要求使用 https://
admin-check-base-url-https = 公网基础 URL 使用 https
admin-check-base-url-not-https = 公网基础 URL 未使用 https
admin-check-base-url-not-https-detail = { $url }：仅适用于本地试用
admin-check-x-account-type-placeholder = xAccountType 仍是占位值
admin-check-x-account-type-placeholder-detail = 请将 huawei.x_account_type 设置为伙伴中心“接入配置”页面上显示的值
admin-check-x-account-type-set = xAccountType 已设置
admin-check-bp-id-set = bpId（伙伴 ID）已设置
admin-check-bp-id-unset = bpId（伙伴 ID）未设置
admin-check-bp-id-unset-detail = 华为云的示例断言以 `bpId` 属性携带伙伴 ID：请将 huawei.bp_id 设置为贵公司加入华为伙伴网络时获得的伙伴 ID（伙伴中心 → 伙伴信息管理；华为客户经理可协助确认）
admin-check-huawei-sp = 华为云 SP 元数据
admin-check-huawei-sp-missing = 没有已导入的 SP 使用华为云的 entityID `{ $entity }`（huawei.sp_entity_id）：无法验证绑定通知；请用 `samlgate sp import` 导入华为云的 SP 元数据
admin-check-huawei-sp-overridden = huawei.sp_metadata 指向 `{ $configured }`，但华为云的 SP 元数据已于 { $date } 通过 `sp import` 从 `{ $source }` 导入，网关使用的是这次导入的元数据（存储中的数据优先；配置只用于初始化空的存储）。如需改用 `{ $configured }`，请运行 `samlgate sp import { $configured }`
admin-check-cert-days-left = IdP 签名证书：剩余 { $days } 天
admin-check-cert-expired = IdP 签名证书：已过期 { $days } 天
admin-check-cert-detail = { $key }，有效期至 { $date }
admin-check-no-sp = 尚未导入 SP 元数据
admin-check-no-sp-detail = 请导入华为云的 SP Metadata.xml（huawei.sp_metadata）
admin-check-sp-unreadable = SP { $entity }：存储的元数据无法读取
admin-check-sp-imported = 已导入 SP 元数据：{ $entity }
admin-check-sp-detail = 来源 { $source }（{ $origin }），更新于 { $date }；签名：{ $signature }
admin-check-sp-cert = 签名证书{ $validity }
admin-check-sp-no-cert = 没有签名证书：无法验证已签名的请求
admin-check-sp-warning = SP { $entity }
admin-sp-origin-config = 配置文件
admin-sp-origin-import = 手动导入
admin-sp-unsigned = 未签名（没有可校验的签名；由运维人员选择导入）
admin-sp-verified = 已由固定的证书 { $signer } 验证（{ $algorithm }，{ $digest } 摘要），SHA-256 { $fingerprint }
admin-check-return-url = 回跳地址：{ $label }
admin-check-return-url-unset = 回跳地址未设置：{ $label }
admin-check-return-url-saved = { $url }（在此页面保存）
admin-check-return-url-config = { $url }（配置文件）

## 回跳地址
admin-return-urls-title = 回跳地址
admin-return-urls-heading = 合作伙伴回跳地址
admin-return-urls-what-before = 网关将客户送回合作伙伴平台时使用的地址。在此保存的值适用于所有网关副本，并优先于配置文件中的
admin-return-urls-what-after = ；清空某一项即恢复使用配置文件中的值。只接受 https 地址（仅 127.0.0.1/localhost 可用 http），且不能包含用户名或密码。
admin-return-after-logout = 退出登录后
admin-return-after-logout-help = 客户退出登录后看到的合作伙伴页面（/logout、/saml/slo）。
admin-return-order-paid = 订单支付成功跳转地址
admin-return-order-paid-help = 客户付款后，华为云“查看订单详情”链接返回到此地址。
admin-return-recharge = 订单充值跳转地址
admin-return-recharge-help = 合作伙伴的充值页面，华为云在客户余额不足时提供此链接。
admin-saved = 已保存。
admin-nothing-saved = 未保存任何内容：请修正下方标出的字段。
admin-placeholder-config = { $url }（配置文件）
admin-not-set = 未设置。
admin-in-use = 当前使用：
admin-in-use-source = （{ $source }）
admin-source-saved = 在此页面保存
admin-source-config = 配置文件
admin-source-unset = 未设置
admin-partner-center-gets = 在伙伴中心填写：
admin-save = 保存
admin-url-too-long = 最多 { $max } 个字符
admin-url-whitespace = 不能包含空白字符、控制字符或反斜杠
admin-url-not-absolute = `{ $url }` 不是绝对 URL（{ $error }）
admin-url-needs-https = `{ $url }` 必须使用 https（仅 127.0.0.1/localhost 可用 http）
admin-url-scheme = 不允许使用 `{ $scheme }` 协议，请使用 https
admin-url-no-host = 必须包含主机名
admin-url-credentials = 不能包含登录凭据（user@ 或 user:password@）

## 账号绑定
admin-bindings-title = 账号绑定
admin-bindings-what = 共 { $count } 个合作伙伴客户（xUserId）已关联华为云账号——通过华为云的绑定通知，或对用华为云“创建客户”伙伴 API 创建的客户在此登记——最新的在前。
admin-bindings-remove = 如需删除绑定，请运行
admin-bindings-added = 已绑定 { $user }：其下次跳转将使用 isFirstLogin=false。
admin-bindings-add-legend = 添加通过伙伴 API 绑定的客户
admin-bindings-add-what = 用华为云“创建客户”API 创建的客户（其 xaccount_id 即 xUserId）已经关联了华为云账号。
admin-bindings-add-why = 在此登记后，其首次跳转将携带
admin-optional = { $field }（可选）
admin-bindings-add = 添加绑定
admin-bindings-none = 暂无账号绑定。
admin-bindings-none-on-page = 本页没有账号绑定。
admin-col-bound = 绑定时间（{ $zone }）
admin-not-given = （未提供）
admin-bind-bad-x-user-id = xUserId 必须为 1 至 128 个字符，且不能包含控制字符
admin-bind-bad-domain-id = domainId 最多 64 个字符，且不能包含空格或控制字符
admin-bind-bad-domain-name = domainName 最多 128 个字符，且不能包含控制字符
admin-bind-changed = `{ $user }` 的绑定刚刚发生了变化，请重试。
admin-bind-conflict = xUserId `{ $user }` 已绑定到 domainId `{ $domain }`；请先删除该绑定。

## 审计日志
admin-audit-title = 审计日志
admin-audit-kind = 事件类型
admin-audit-kind-placeholder = admin.login，或前缀：bind.
admin-audit-show-all = 显示全部
admin-audit-none = 暂无事件。
admin-audit-who = 客户（xUserId）或管理员
admin-audit-correlation-id = 关联 ID
admin-audit-since = 起始时间（{ $zone }）
admin-audit-until = 截止时间（{ $zone }）
admin-audit-search = 搜索
admin-audit-export = 下载此搜索结果：
admin-audit-none-found = 没有符合此搜索条件的事件。
admin-audit-newest = ← 最新
admin-bindings-search-placeholder = xUserId 或 domainId
admin-bindings-none-found = 没有 xUserId 或 domainId 为 { $value } 的绑定。
admin-bindings-removed = 已删除 { $user } 的绑定：其下次跳转将携带 isFirstLogin=true。
admin-bindings-remove-link = 删除…
admin-bindings-remove-title = 删除绑定
admin-bindings-remove-what = 删除后，该客户下次“进入控制台”时将携带 isFirstLogin=true，华为云会再次显示绑定页面。华为侧对该账号的关联不会改变。
admin-bindings-remove-confirm = 删除此绑定
admin-cancel = 取消
admin-nav-users = 用户
admin-users-title = 管理员用户
admin-users-what = 可以登录这些页面的人员。在此处（或用 samlgate admin add-user）添加的用户以 argon2id 哈希值保存在存储中，所有网关副本立即生效；配置文件 [[admin.users]] 中的用户需在该文件中修改。
admin-users-name = 名称
admin-users-source = 定义位置
admin-users-updated = 密码设置时间（{ $zone }）
admin-users-you = 您
admin-users-in-config-file = 配置文件
admin-users-in-store = 存储
admin-users-add-legend = 添加用户或设置新密码
admin-users-password = 密码（至少 12 个字符）
admin-users-password2 = 再次输入密码
admin-users-save = 保存
admin-users-added = 已添加管理员用户 { $name }。
admin-users-changed = 已为 { $name } 设置新密码。
admin-users-removed = 已删除管理员用户 { $name }。
admin-users-mismatch = 两次输入的密码不一致。
admin-users-invalid = 未保存：{ $reason }。
admin-users-not-found = 没有管理员用户 { $name }。
admin-users-in-config = { $name } 定义在配置文件的 [[admin.users]] 中：请在该文件中删除。
admin-users-last = { $name } 是最后一个管理员用户：请先添加另一个用户。
admin-users-remove-title = 删除管理员用户
admin-users-remove-what = { $name } 将无法再登录；其已打开的会话会在下一次请求时结束。
admin-users-remove-confirm = 删除此用户
admin-nav-sps = 服务提供商
admin-sps-title = 服务提供商（SP 元数据）
admin-sps-what = 网关所应答的 SAML 服务提供商：华为的 SP（来自伙伴中心的 SP Metadata.xml）以及其他 SP。由华为签名的文档必须能用内置固定的证书验证；被拒绝的文档不会替换已保存的版本。
admin-sps-upload = 上传 SP Metadata.xml（最大 { $kib } KiB）
admin-sps-upload-button = 上传并导入
admin-sps-url = 或从 https 地址导入（会定期重新获取）
admin-sps-url-button = 获取并导入
admin-sps-url-needed = 请填写 SP 元数据的 https 地址。
admin-sps-none = 尚未导入任何 SP。
admin-sps-huawei = 华为的 SP
admin-sps-source = 来源
admin-sps-times = 导入 / 更新时间（{ $zone }）
admin-sps-signature = 签名
admin-sps-cert = { $cert }；剩余 { $days } 天
admin-sps-cert-unreadable = （证书无法读取）
admin-sps-unreadable = （保存的副本无法读取，请重新导入）
admin-sps-last = 最近一次导入或拒绝
admin-sps-refresh = 立即重新获取
admin-sps-delete-link = 删除…
admin-sps-imported = 已导入 { $entity }。
admin-sps-unchanged = { $entity } 已从该来源导入（无变化）。
admin-sps-deleted = 已删除 { $entity }。
admin-sps-refused = 未导入：{ $reason }
admin-sps-delete-title = 删除服务提供商
admin-sps-delete-what = 网关将不再应答 { $entity }：其登录请求将以 unknown_issuer 被拒绝。
admin-sps-delete-confirm = 删除此 SP
