# samlgate mocksp pages (zh-CN). Every message has a twin in the other language (a test checks).
# The mock SP plays HUAWEI CLOUD (mock); its demo partner page plays "Acme Cloud Store".

## Shared by the mock SP's pages (mocksp_base.html)
mock-site-name = samlgate 模拟 SP
mock-logo-huawei = 华为
mock-logo-cloud = 云
mock-tag = 模拟 SP
mock-footer = samlgate mock-sp —— 华为云 SAML 服务提供方（SP）的本地替身，用于演示和测试，并非华为官方服务。
mock-back-to-partner = 返回合作伙伴平台
mock-partner-platform = 合作伙伴平台

## Index (/)
mock-index-title = samlgate 模拟 SP
mock-index-what = 华为云 SAML 服务提供方的本地替身。请从合作伙伴平台的“进入控制台”链接开始。
mock-index-metadata = SP 元数据

## Not signed in
mock-not-signed-in-title = 未登录
mock-not-signed-in-what = 此浏览器中没有模拟控制台的会话。请从合作伙伴平台的“进入控制台”链接开始。

## Bind page (/authui/bind)
mock-bind-heading = 绑定华为云账号
mock-bind-who = 合作伙伴客户 { $user }
mock-bind-came-as = 合作伙伴平台客户：
mock-bind-name = （{ $name }）
mock-bind-first-visit = 这是您首次访问：请选择要使用的华为云账号。绑定后，合作伙伴与该账号之间将建立伙伴关联关系。
mock-bind-new = 创建新的华为云账号
mock-bind-new-what = 模拟 SP 会随机生成账号名和账号 ID。
mock-bind-existing = 使用已有的华为云账号
mock-bind-account-name = 账号名：
mock-bind-account-placeholder = 例如 acme-dev
mock-bind-submit = 绑定并继续
mock-bind-notify-what = 提交后，模拟 SP 会像华为一样，从本浏览器将已签名的绑定通知发送到：
mock-bind-notify-fields = 字段：

## Binding notification page (POST /authui/bind)
mock-notify-title = 正在绑定…
mock-notify-heading = 正在绑定您的华为云账号…
mock-notify-account-name = 账号名
mock-notify-account-id = 账号 ID（domainId）
mock-notify-sending = 正在通知合作伙伴平台：
mock-notify-noscript = JavaScript 已关闭：请依次点击下面两个按钮。
mock-notify-send = 发送通知
mock-notify-frame-title = 绑定通知
mock-notify-continue = 继续前往控制台

## Console (/console)
mock-console-title = 控制台
mock-console-heading = 欢迎使用华为云控制台（模拟）
mock-console-signed-in = 已通过合作伙伴平台的 SAML 单点登录进入。
mock-console-name = 姓名
mock-console-service = 目标服务（service）
mock-console-bound = 已绑定账号
mock-console-binding = { $name }（domainId：{ $id }）
mock-console-attributes = 断言中的属性
mock-console-logout = 退出登录
mock-console-logout-what = 退出登录会向 IdP 发送已签名的 LogoutRequest（HTTP-Redirect），并等待其返回已签名的 LogoutResponse。

## Signed out
mock-signed-out-title = 已退出登录
mock-signed-out-what = 您已退出华为云控制台（模拟）以及合作伙伴网关的会话。
mock-signed-out-here-title = 已在此处退出登录
mock-signed-out-here-what = 您已退出华为云控制台（模拟），但 IdP 对退出请求返回的状态为 { $status }。
mock-idp-ended-what = IdP 已结束您的会话。

## No partner page
mock-no-partner-title = 没有合作伙伴页面
mock-no-partner-what = 此模拟 SP 运行时没有网关的交接密钥（请在网关配置文件旁启动它，或使用“samlgate demo”）。

## Refusal page: the failed check (#check) and what it means
mock-refused-title = 已拒绝
mock-refused-heading = { $status } —— 模拟 SP 拒绝了此请求
mock-refused-check = 未通过的检查：
mock-refused-detail = 技术细节：
mock-refused-real-sp = 真实的 SP 也会拒绝这样的消息。详情请查看模拟 SP 的日志。
mock-check-account-name = 账号名须为 1–64 个字母、数字、“_”、“-”或“.”。
mock-check-assertion = 响应中必须恰好包含一个未加密的断言（Assertion）。
mock-check-assertion-replay = 该断言已被使用过：SP 对每个断言只接受一次。
mock-check-assertion-signature = 断言没有 IdP 的有效签名，或在签名后被篡改。
mock-check-audience = 断言的受众（Audience）不是本 SP。
mock-check-authn-request = 模拟 SP 无法生成 AuthnRequest。
mock-check-bad-encoding = 表单不是 UTF-8 编码。
mock-check-base64 = SAMLResponse 不是有效的 Base64。
mock-check-bind-signature = 模拟 SP 无法为绑定通知签名。
mock-check-busy = 模拟 SP 繁忙，请稍后重试。
mock-check-choice = 请选择创建新账号或使用已有账号。
mock-check-destination = 消息的目标地址（Destination）不是本 SP。
mock-check-duplicate-parameter = 有参数出现了不止一次。
mock-check-idp-metadata = 无法加载 IdP 元数据，或其中缺少模拟 SP 所需的端点。
mock-check-in-response-to = 该消息没有对应本 SP 尚未完成的请求（未知、已过期或已被回应），或根本不回应任何请求（未经请求的响应：仅当模拟 SP 以 --allow-unsolicited 启动时才接受）。
mock-check-is-first-login = isFirstLogin 必须为 true、false 或空。
mock-check-issuer = 消息的签发方（Issuer）不是 IdP。
mock-check-logout-request = 模拟 SP 无法生成 LogoutRequest。
mock-check-logout-response = 模拟 SP 无法生成 LogoutResponse。
mock-check-message = SAML 消息缺失或格式不正确。
mock-check-recipient = 断言的接收地址（Recipient）不是本 SP 的 ACS。
mock-check-name = 该姓名不符合华为云的要求。
mock-check-relay-state = RelayState 与请求中发送的不一致。
mock-check-response-signature = 响应的签名无效。
mock-check-return-to = return_to 必须是网关的 /saml/sso 地址。
mock-check-service = service 参数过长。
mock-check-signature = 消息没有 IdP 的有效签名，或在签名后被篡改。
mock-check-size = 请求过大。
mock-check-status = IdP 返回的状态不是 Success。
mock-check-subject = 断言中没有可用的主体（NameID）。
mock-check-subject-confirmation = 断言中没有有效的 bearer 主体确认（SubjectConfirmation）。
mock-check-time-window = 断言不在有效期内（已过期或尚未生效）。
mock-check-too-large = 查询字符串过长。
mock-check-user = 客户 ID 须为 1–128 个字符。
mock-check-x-account-type = xAccountType 与本合作伙伴平台的不一致。
mock-check-xml = 消息不是格式正确的 XML，或超出了解析器的限制。
mock-check-other = 请求被拒绝。

## Demo partner platform (/partner)
partner-demo-brand = Acme Cloud Store
partner-demo-title = { partner-demo-brand } —— 合作伙伴平台（演示）
partner-demo-tagline = 合作伙伴销售平台 · 演示
partner-demo-heading = 您的云资源
partner-demo-what = 您是本合作伙伴平台的客户。点击“进入控制台”即可直接以登录状态进入华为云：平台用一次性令牌把您交给 samlgate，samlgate 再把您送往华为，华为向 samlgate 请求 SAML 断言。
partner-demo-mock-at = 此处由模拟 SP 扮演华为，地址：
partner-demo-user = 客户 ID（xUserId）
partner-demo-name = 姓名
partner-demo-service = 前往
partner-demo-service-console = 控制台首页
partner-demo-service-ecs = 弹性云服务器 ECS
partner-demo-service-evs = 云硬盘 EVS
partner-demo-service-vpc = 虚拟私有云 VPC
partner-demo-service-iam = 统一身份认证服务 IAM
partner-demo-go = 进入控制台
partner-demo-gateway = 网关：
partner-demo-token = 令牌在服务器端生成，使用的密钥：
