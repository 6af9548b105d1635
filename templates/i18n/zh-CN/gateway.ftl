# samlgate 页面的简体中文文本。这里的每条消息在 en.ftl 中都有对应的英文（有测试检查）。
# 参数：$partner 是合作伙伴的名称（ui.partner_name），或“合作伙伴平台”。

## 通用
partner-platform = 合作伙伴平台
huawei-cloud = 华为云
back-to-partner = 返回{ $partner }
correlation-id = 技术支持参考编号：
refusal-code = 原因代码：
technical-detail = 技术细节（供技术支持使用）
http-status = HTTP 状态
continue = 继续
footer-gateway = { $product } 的华为云登录网关

## 首页（/）
landing-title = 登录华为云
landing-what = 这是{ $partner }的登录网关，帮助客户进入华为云控制台。
landing-how = 如需管理您的云资源，请在{ $partner }登录，然后点击“进入控制台”。

## 自动提交页
post-title = 正在登录
post-what = 正在为您登录华为云…
post-noscript = 此浏览器未启用 JavaScript：请点击“继续”。

## 在自动提交页上后退或刷新
already-title = 您已登录
already-what = 此登录步骤刚刚已完成（页面因后退或刷新被再次打开）。您可以继续前往控制台，或从{ $partner }重新开始。
already-continue = 继续前往控制台
already-start-again = 从{ $partner }重新开始

## 已退出
signed-out-title = 已退出
signed-out-heading = 您已退出登录
signed-out-what = 您通过{ $partner }登录的华为云会话已结束。如需再次打开控制台，请从{ $partner }重新开始。

## 绑定结果
bound-title = 账号已绑定
bound-heading = 您的账号已绑定
bound-heading-already = 您的账号此前已绑定
bound-what = 您在{ $partner }的账号 { $user } 已与华为云账号 { $account } 绑定。
bound-next = 下次从{ $partner }进入控制台时，无需再次绑定。
bound-continue = 继续前往华为云控制台

## 拒绝页：按原因给出标题和处理办法
refusal-link-expired-title = 此链接已过期
refusal-link-expired-what = 登录链接只在很短时间内有效。请返回{ $partner }，重新点击“进入控制台”。
refusal-link-used-title = 此链接已被使用
refusal-link-used-what = 每个登录链接只能使用一次。请返回{ $partner }，重新点击“进入控制台”。
refusal-link-invalid-title = 此登录链接无效
refusal-link-invalid-what = 链接可能不完整或已被修改。请返回{ $partner }，重新点击“进入控制台”。
refusal-not-signed-in-title = 您尚未登录
refusal-not-signed-in-what = 请从{ $partner }打开华为云：先在那里登录，再点击“进入控制台”。
refusal-already-answered-title = 此次登录已完成
refusal-already-answered-what = 此登录请求此前已被应答（可能在另一个窗口中）。请返回{ $partner }，重新点击“进入控制台”。
refusal-request-expired-title = 登录请求已过期
refusal-request-expired-what = 距华为云发起登录请求已过去太久。请返回{ $partner }，重新点击“进入控制台”。
refusal-destination-title = 无法从这里打开此控制台页面
refusal-destination-what = 链接请求的页面不在网关允许的范围内。请返回{ $partner }，重新选择服务。
refusal-request-early-title = 登录请求尚未生效
refusal-request-early-what = 华为云与网关的时钟不一致。请稍等一分钟后从{ $partner }重试；如果问题持续出现，请联系{ $partner }的技术支持，并提供下方的参考编号。
refusal-logout-title = 无法完成退出登录
refusal-logout-what = 您可能已经退出登录。请关闭华为云控制台，然后返回{ $partner }重新登录。
refusal-bind-title = 无法完成账号绑定
refusal-bind-what = 请返回{ $partner }，重新点击“进入控制台”；系统会再次请您绑定华为云账号。如果问题持续出现，请联系{ $partner }的技术支持，并提供下方的参考编号。
refusal-not-configured-title = 此页面尚未设置
refusal-not-configured-what = { $partner }尚未设置此链接的目标页面。请返回{ $partner }。
refusal-rejected-title = 无法完成登录
refusal-rejected-what = 该请求未通过网关的安全检查。请返回{ $partner }重试；如果问题持续出现，请联系{ $partner }的技术支持，并提供下方的参考编号。
refusal-busy-title = 尝试次数过多
refusal-busy-what = 请稍等一分钟，然后从{ $partner }重试。
refusal-not-found-title = 页面不存在
refusal-not-found-what = 此地址没有页面。请返回{ $partner }。
refusal-unavailable-title = 网关尚未就绪
refusal-unavailable-what = 登录网关暂时无法应答。请几分钟后重试；如果问题持续出现，请联系{ $partner }的技术支持，并提供下方的参考编号。
refusal-internal-title = 出现了问题
refusal-internal-what = 网关无法完成此请求。请稍后重试；如果问题持续出现，请联系{ $partner }的技术支持，并提供下方的参考编号。
refusal-admin-title = 请求被拒绝
refusal-admin-what = 请返回管理页面重试。
refusal-sp-not-allowed-title = 无法从这里打开此服务
refusal-sp-not-allowed-what = 您请求的服务不接受由{ $partner }发起的登录，或网关不认识该服务。请从该服务自己的登录页面进入，或返回{ $partner }。
