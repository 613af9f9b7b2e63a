"""ZAP's own texts for the passive rules the harness applies: names, descriptions, solutions, references and other
info, by the key of zap-extensions' pscanrules / pscanrulesBeta Messages.properties (without the "pscanrules." or
"pscanbeta." prefix), and the wasc_9 entry of commonlib's vulnerabilities.xml that 10202 quotes. `{0}`, `{1}` are
ZAP's MessageFormat placeholders."""
from __future__ import annotations

MESSAGES: dict[str, str] = {
    'permissionspolicymissing.deprecated.desc': 'The header has now been renamed to Permissions-Policy.',
    'permissionspolicymissing.deprecated.name': 'Deprecated Feature Policy Header Set',
    'permissionspolicymissing.deprecated.refs': (
        'https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Permissions-Policy\n'
        'https://scotthelme.co.uk/goodbye-feature-policy-and-hello-permissions-policy/'
    ),
    'permissionspolicymissing.deprecated.soln': (
        'Ensure that your web server, application server, load balancer, etc. is configured to set the '
        'Permissions-Policy header instead of the Feature-Policy header.'
    ),
    'permissionspolicymissing.desc': (
        'Permissions Policy Header is an added layer of security that helps to restrict from unauthorized '
        'access or usage of browser/client features by web resources. This policy ensures the user privacy '
        'by limiting or specifying the features of the browsers can be used by the web resources. '
        'Permissions Policy provides a set of standard HTTP headers that allow website owners to limit which '
        'features of browsers can be used by the page such as camera, microphone, location, full screen etc.'
    ),
    'permissionspolicymissing.name': 'Permissions Policy Header Not Set',
    'permissionspolicymissing.refs': (
        'https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Permissions-Policy\n'
        'https://developer.chrome.com/blog/feature-policy/\n'
        'https://scotthelme.co.uk/a-new-security-header-feature-policy/\n'
        'https://w3c.github.io/webappsec-feature-policy/\n'
        'https://www.smashingmagazine.com/2018/12/feature-policy/'
    ),
    'permissionspolicymissing.soln': (
        'Ensure that your web server, application server, load balancer, etc. is configured to set the '
        'Permissions-Policy header.'
    ),
    'site-isolation.coep.desc': (
        'Cross-Origin-Embedder-Policy header is a response header that prevents a document from loading any '
        "cross-origin resources that don't explicitly grant the document permission (using CORP or CORS)."
    ),
    'site-isolation.coep.name': 'Cross-Origin-Embedder-Policy Header Missing or Invalid',
    'site-isolation.coep.refs': (
        'https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cross-Origin-Embedder-Policy'
    ),
    'site-isolation.coep.soln': (
        'Ensure that the application/web server sets the Cross-Origin-Embedder-Policy header appropriately, '
        "and that it sets the Cross-Origin-Embedder-Policy header to 'require-corp' for documents.\nIf "
        'possible, ensure that the end user uses a standards-compliant and modern web browser that supports '
        'the Cross-Origin-Embedder-Policy header '
        '(https://caniuse.com/mdn-http_headers_cross-origin-embedder-policy).'
    ),
    'site-isolation.coop.desc': (
        'Cross-Origin-Opener-Policy header is a response header that allows a site to control if others '
        'included documents share the same browsing context. Sharing the same browsing context with '
        'untrusted documents might lead to data leak.'
    ),
    'site-isolation.coop.name': 'Cross-Origin-Opener-Policy Header Missing or Invalid',
    'site-isolation.coop.refs': (
        'https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cross-Origin-Opener-Policy'
    ),
    'site-isolation.coop.soln': (
        'Ensure that the application/web server sets the Cross-Origin-Opener-Policy header appropriately, '
        "and that it sets the Cross-Origin-Opener-Policy header to 'same-origin' for documents.\n"
        "'same-origin-allow-popups' is considered as less secured and should be avoided.\nIf possible, ensure "
        'that the end user uses a standards-compliant and modern web browser that supports the '
        'Cross-Origin-Opener-Policy header (https://caniuse.com/mdn-http_headers_cross-origin-opener-policy).'
    ),
    'site-isolation.corp.desc': (
        'Cross-Origin-Resource-Policy header is an opt-in header designed to counter side-channels attacks '
        'like Spectre. Resource should be specifically set as shareable amongst different origins.'
    ),
    'site-isolation.corp.name': 'Cross-Origin-Resource-Policy Header Missing or Invalid',
    'site-isolation.corp.refs': (
        'https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cross-Origin-Embedder-Policy'
    ),
    'site-isolation.corp.soln': (
        'Ensure that the application/web server sets the Cross-Origin-Resource-Policy header appropriately, '
        "and that it sets the Cross-Origin-Resource-Policy header to 'same-origin' for all web pages.\n"
        "'same-site' is considered as less secured and should be avoided.\nIf resources must be shared, set "
        "the header to 'cross-origin'.\nIf possible, ensure that the end user uses a standards-compliant and "
        'modern web browser that supports the Cross-Origin-Resource-Policy header '
        '(https://caniuse.com/mdn-http_headers_cross-origin-resource-policy).'
    ),
    'site-isolation.name': 'Insufficient Site Isolation Against Spectre Vulnerability',
    'anticlickjacking.compliance.malformed.setting.desc': (
        'An X-Frame-Options header was present in the response but the value was not correctly set.'
    ),
    'anticlickjacking.compliance.malformed.setting.name': 'X-Frame-Options Setting Malformed',
    'anticlickjacking.compliance.malformed.setting.refs': 'https://datatracker.ietf.org/doc/html/rfc7034#section-2.1',
    'anticlickjacking.compliance.malformed.setting.soln': (
        'Ensure a valid setting is used on all web pages returned by your site (if you expect the page to be '
        "framed only by pages on your server (e.g. it's part of a FRAMESET) then you'll want to use "
        'SAMEORIGIN, otherwise if you never expect the page to be framed, you should use DENY. Alternatively '
        'consider implementing Content Security Policy\'s "frame-ancestors" directive.'
    ),
    'anticlickjacking.compliance.meta.desc': (
        'An X-Frame-Options (XFO) META tag was found, defining XFO via a META tag is explicitly not '
        'supported by the spec (RFC 7034).'
    ),
    'anticlickjacking.compliance.meta.name': 'X-Frame-Options Defined via META (Non-compliant with Spec)',
    'anticlickjacking.compliance.meta.refs': 'https://datatracker.ietf.org/doc/html/rfc7034#section-4',
    'anticlickjacking.compliance.meta.soln': (
        'Ensure X-Frame-Options is set via a response header field. Alternatively consider implementing '
        'Content Security Policy\'s "frame-ancestors" directive.'
    ),
    'anticlickjacking.incInCsp': (
        "The Content-Security-Policy does include a 'frame-ancestors' element which takes precedence over "
        'the X-Frame-Options header, which is why this has been raised with a LOW risk.'
    ),
    'anticlickjacking.missing.desc': (
        "The response does not protect against 'ClickJacking' attacks. It should include either "
        "Content-Security-Policy with 'frame-ancestors' directive or X-Frame-Options."
    ),
    'anticlickjacking.missing.name': 'Missing Anti-clickjacking Header',
    'anticlickjacking.missing.refs': (
        'https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Frame-Options'
    ),
    'anticlickjacking.missing.soln': (
        'Modern Web browsers support the Content-Security-Policy and X-Frame-Options HTTP headers. Ensure '
        'one of them is set on all web pages returned by your site/app.\nIf you expect the page to be framed '
        "only by pages on your server (e.g. it's part of a FRAMESET) then you'll want to use SAMEORIGIN, "
        'otherwise if you never expect the page to be framed, you should use DENY. Alternatively consider '
        'implementing Content Security Policy\'s "frame-ancestors" directive.'
    ),
    'anticlickjacking.multiple.header.desc': (
        'X-Frame-Options (XFO) headers were found, a response with multiple XFO header entries may not be '
        'predictably treated by all user-agents.'
    ),
    'anticlickjacking.multiple.header.name': 'Multiple X-Frame-Options Header Entries',
    'anticlickjacking.multiple.header.refs': 'https://datatracker.ietf.org/doc/html/rfc7034',
    'anticlickjacking.multiple.header.soln': (
        'Ensure only a single X-Frame-Options header is present in the response.'
    ),
    'anticlickjacking.name': 'Anti-clickjacking Header',
    'applicationerrors.desc': (
        'This page contains an error/warning message that may disclose sensitive information like the '
        'location of the file that produced the unhandled exception. This information can be used to launch '
        'further attacks against the web application. The alert could be a false positive if the error '
        'message is found inside a documentation page.'
    ),
    'applicationerrors.name': 'Application Error Disclosure',
    'applicationerrors.soln': (
        'Review the source code of this page. Implement custom error pages. Consider implementing a '
        'mechanism to provide a unique error reference/identifier to the client (browser) while logging the '
        'details on the server side and not exposing them to the user.'
    ),
    'cachecontrol.desc': (
        'The cache-control header has not been set properly or is missing, allowing the browser and proxies '
        'to cache content. For static assets like css, js, or image files this might be intended, however, '
        'the resources should be reviewed to ensure that no sensitive content will be cached.'
    ),
    'cachecontrol.name': 'Re-examine Cache-control Directives',
    'cachecontrol.refs': (
        'https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#web-content-caching\n'
        'https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cache-Control\n'
        'https://grayduck.mn/2021/09/13/cache-control-recommendations/'
    ),
    'cachecontrol.soln': (
        'For secure content, ensure the cache-control HTTP header is set with "no-cache, no-store, '
        'must-revalidate". If an asset should be cached consider setting the directives "public, max-age, '
        'immutable".'
    ),
    'contentsecuritypolicymissing.desc': (
        'Content Security Policy (CSP) is an added layer of security that helps to detect and mitigate '
        'certain types of attacks, including Cross Site Scripting (XSS) and data injection attacks. These '
        'attacks are used for everything from data theft to site defacement or distribution of malware. CSP '
        'provides a set of standard HTTP headers that allow website owners to declare approved sources of '
        'content that browsers should be allowed to load on that page — covered types are JavaScript, CSS, '
        'HTML frames, fonts, images and embeddable objects such as Java applets, ActiveX, audio and video '
        'files.'
    ),
    'contentsecuritypolicymissing.name': 'Content Security Policy (CSP) Header Not Set',
    'contentsecuritypolicymissing.obs.desc': (
        'The "X-Content-Security-Policy" and "X-WebKit-CSP" headers are no longer recommended.'
    ),
    'contentsecuritypolicymissing.obs.name': 'Obsolete Content Security Policy (CSP) Header Found',
    'contentsecuritypolicymissing.refs': (
        'https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/CSP\n'
        'https://cheatsheetseries.owasp.org/cheatsheets/Content_Security_Policy_Cheat_Sheet.html\n'
        'https://www.w3.org/TR/CSP/\nhttps://w3c.github.io/webappsec-csp/\nhttps://web.dev/articles/csp\n'
        'https://caniuse.com/#feat=contentsecuritypolicy\nhttps://content-security-policy.com/'
    ),
    'contentsecuritypolicymissing.ro.desc': (
        'The response contained a Content-Security-Policy-Report-Only header, this may indicate a '
        'work-in-progress implementation, or an oversight in promoting pre-Prod to Prod, etc.\n\nContent '
        'Security Policy (CSP) is an added layer of security that helps to detect and mitigate certain types '
        'of attacks, including Cross Site Scripting (XSS) and data injection attacks. These attacks are used '
        'for everything from data theft to site defacement or distribution of malware. CSP provides a set of '
        'standard HTTP headers that allow website owners to declare approved sources of content that '
        'browsers should be allowed to load on that page — covered types are JavaScript, CSS, HTML frames, '
        'fonts, images and embeddable objects such as Java applets, ActiveX, audio and video files.'
    ),
    'contentsecuritypolicymissing.ro.name': 'Content Security Policy (CSP) Report-Only Header Found',
    'contentsecuritypolicymissing.ro.refs': (
        'https://www.w3.org/TR/CSP2/\nhttps://w3c.github.io/webappsec-csp/\n'
        'https://caniuse.com/#feat=contentsecuritypolicy\nhttps://content-security-policy.com/'
    ),
    'contentsecuritypolicymissing.soln': (
        'Ensure that your web server, application server, load balancer, etc. is configured to set the '
        'Content-Security-Policy header.'
    ),
    'contenttypemissing.desc': 'The Content-Type header was either missing or empty.',
    'contenttypemissing.name': 'Content-Type Header Missing',
    'contenttypemissing.name.empty': 'Content-Type Header Empty',
    'contenttypemissing.refs': (
        'https://learn.microsoft.com/en-us/previous-versions/windows/internet-explorer/ie-developer/compatibility/gg622941(v=vs.85)'  # noqa: E501
    ),
    'contenttypemissing.soln': (
        'Ensure each page is setting the specific and appropriate content-type value for the content being '
        'delivered.'
    ),
    'cookiehttponly.desc': (
        'A cookie has been set without the HttpOnly flag, which means that the cookie can be accessed by '
        'JavaScript. If a malicious script can be run on this page then the cookie will be accessible and '
        'can be transmitted to another site. If this is a session cookie then session hijacking may be '
        'possible.'
    ),
    'cookiehttponly.name': 'Cookie No HttpOnly Flag',
    'cookiehttponly.refs': 'https://owasp.org/www-community/HttpOnly',
    'cookiehttponly.soln': 'Ensure that the HttpOnly flag is set for all cookies.',
    'cookielooselyscoped.desc': (
        'Cookies can be scoped by domain or path. This check is only concerned with domain scope.The domain '
        'scope applied to a cookie determines which domains can access it. For example, a cookie can be '
        'scoped strictly to a subdomain e.g. www.nottrusted.com, or loosely scoped to a parent domain e.g. '
        'nottrusted.com. In the latter case, any subdomain of nottrusted.com can access the cookie. Loosely '
        'scoped cookies are common in mega-applications like google.com and live.com. Cookies set from a '
        'subdomain like app.foo.bar are transmitted only to that domain by the browser. However, cookies '
        'scoped to a parent-level domain may be transmitted to the parent, or any subdomain of the parent.'
    ),
    'cookielooselyscoped.extrainfo': 'The origin domain used for comparison was:\n{0}\n{1}',
    'cookielooselyscoped.extrainfo.cookie': 'Cookie name: {0}\n',
    'cookielooselyscoped.name': 'Loosely Scoped Cookie',
    'cookielooselyscoped.refs': (
        'https://datatracker.ietf.org/doc/html/rfc6265#section-4.1\n'
        'https://owasp.org/www-project-web-security-testing-guide/v41/4-Web_Application_Security_Testing/06-Session_Management_Testing/02-Testing_for_Cookies_Attributes.html\n'  # noqa: E501
        'https://code.google.com/archive/p/browsersec/wikis/Part2.wiki'
    ),
    'cookielooselyscoped.soln': 'Always scope cookies to a FQDN (Fully Qualified Domain Name).',
    'cookiesamesite.badval.desc': (
        'A cookie has been set with an invalid SameSite attribute value, which means that the cookie can be '
        "sent as a result of a 'cross-site' request. The SameSite attribute is an effective counter measure "
        'to cross-site request forgery, cross-site script inclusion, and timing attacks.'
    ),
    'cookiesamesite.badval.name': 'Cookie with Invalid SameSite Attribute',
    'cookiesamesite.desc': (
        'A cookie has been set without the SameSite attribute, which means that the cookie can be sent as a '
        "result of a 'cross-site' request. The SameSite attribute is an effective counter measure to "
        'cross-site request forgery, cross-site script inclusion, and timing attacks.'
    ),
    'cookiesamesite.name': 'Cookie without SameSite Attribute',
    'cookiesamesite.none.desc': (
        'A cookie has been set with its SameSite attribute set to "none", which means that the cookie can be '
        "sent as a result of a 'cross-site' request. The SameSite attribute is an effective counter measure "
        'to cross-site request forgery, cross-site script inclusion, and timing attacks.'
    ),
    'cookiesamesite.none.name': 'Cookie with SameSite Attribute None',
    'cookiesamesite.refs': 'https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-cookie-same-site',
    'cookiesamesite.soln': (
        "Ensure that the SameSite attribute is set to either 'lax' or ideally 'strict' for all cookies."
    ),
    'cookiesecureflag.desc': (
        'A cookie has been set without the secure flag, which means that the cookie can be accessed via '
        'unencrypted connections.'
    ),
    'cookiesecureflag.name': 'Cookie Without Secure Flag',
    'cookiesecureflag.refs': (
        'https://owasp.org/www-project-web-security-testing-guide/v41/4-Web_Application_Security_Testing/06-Session_Management_Testing/02-Testing_for_Cookies_Attributes.html'  # noqa: E501
    ),
    'cookiesecureflag.soln': (
        'Whenever a cookie contains sensitive information or is a session token, then it should always be '
        'passed using an encrypted channel. Ensure that the secure flag is set for cookies containing such '
        'sensitive information.'
    ),
    'crossdomain.desc': (
        'Web browser data loading may be possible, due to a Cross Origin Resource Sharing (CORS) '
        'misconfiguration on the web server.'
    ),
    'crossdomain.extrainfo': (
        'The CORS misconfiguration on the web server permits cross-domain read requests from arbitrary third '
        'party domains, using unauthenticated APIs on this domain. Web browser implementations do not permit '
        'arbitrary third parties to read the response from authenticated APIs, however. This reduces the '
        'risk somewhat. This misconfiguration could be used by an attacker to access data that is available '
        'in an unauthenticated manner, but which uses some other form of security, such as IP address '
        'white-listing.'
    ),
    'crossdomain.name': 'Cross-Domain Misconfiguration',
    'crossdomain.refs': (
        'https://vulncat.fortify.com/en/detail?category=HTML5&subcategory=Overly%20Permissive%20CORS%20Policy'
    ),
    'crossdomain.soln': (
        'Ensure that sensitive data is not available in an unauthenticated manner (using IP address '
        'white-listing, for instance).\nConfigure the "Access-Control-Allow-Origin" HTTP header to a more '
        'restrictive set of domains, or remove all CORS headers entirely, to allow the web browser to '
        'enforce the Same Origin Policy (SOP) in a more restrictive manner.'
    ),
    'csp.both.desc': (
        'The message contained both CSP specified via header and via Meta tag. It was not possible to union '
        'these policies in order to perform an analysis. Therefore, they have been evaluated individually.'
    ),
    'csp.both.name': 'Header & Meta',
    'csp.desc': (
        'Content Security Policy (CSP) is an added layer of security that helps to detect and mitigate '
        'certain types of attacks. Including (but not limited to) Cross Site Scripting (XSS), and data '
        'injection attacks. These attacks are used for everything from data theft to site defacement or '
        'distribution of malware. CSP provides a set of standard HTTP headers that allow website owners to '
        'declare approved sources of content that browsers should be allowed to load on that page — covered '
        'types are JavaScript, CSS, HTML frames, fonts, images and embeddable objects such as Java applets, '
        'ActiveX, audio and video files.'
    ),
    'csp.malformed.name': 'Malformed Policy (Non-ASCII)',
    'csp.malformed.otherinfo': (
        'A non-ASCII character was encountered while attempting to parse the policy, thus rendering it '
        'invalid (no further evaluation occurred). The following invalid characters were collected: {0}'
    ),
    'csp.meta.bad.directive.desc': (
        'The policy specified via meta element contains either or both the sandbox or frame-ancestors '
        'directive, which are not permitted inside meta CSP definitions.'
    ),
    'csp.meta.bad.directive.name': 'Meta Policy Invalid Directive',
    'csp.name': 'CSP',
    'csp.nofallback.desc': (
        'The Content Security Policy fails to define one of the directives that has no fallback. '
        'Missing/excluding them is the same as allowing anything.'
    ),
    'csp.nofallback.name': 'Failure to Define Directive with No Fallback',
    'csp.nofallback.otherinfo': (
        'The directive(s): {0} is/are among the directives that do not fallback to default-src.'
    ),
    'csp.notices.errors': 'Errors:',
    'csp.notices.infoitems': 'Info Items:',
    'csp.notices.name': 'Notices',
    'csp.notices.warnings': 'Warnings:',
    'csp.refs': (
        'https://www.w3.org/TR/CSP/\nhttps://caniuse.com/#search=content+security+policy\n'
        'https://content-security-policy.com/\nhttps://github.com/HtmlUnit/htmlunit-csp\n'
        'https://web.dev/articles/csp#resource-options'
    ),
    'csp.scriptsrc.unsafe.eval.name': 'script-src unsafe-eval',
    'csp.scriptsrc.unsafe.eval.otherinfo': 'script-src includes unsafe-eval.',
    'csp.scriptsrc.unsafe.hashes.name': 'script-src unsafe-hashes',
    'csp.scriptsrc.unsafe.hashes.otherinfo': (
        'script-src includes unsafe-hashes, an attacker will be able to use any of the code covered by such '
        'hashes.'
    ),
    'csp.scriptsrc.unsafe.hashes.refs': (
        'https://www.w3.org/TR/CSP3/#unsafe-hashes-usage\n'
        'https://content-security-policy.com/examples/allow-inline-script/'
    ),
    'csp.scriptsrc.unsafe.name': 'script-src unsafe-inline',
    'csp.scriptsrc.unsafe.otherinfo': 'script-src includes unsafe-inline.',
    'csp.soln': (
        'Ensure that your web server, application server, load balancer, etc. is properly configured to set '
        'the Content-Security-Policy header.'
    ),
    'csp.stylesrc.unsafe.hashes.name': 'style-src unsafe-hashes',
    'csp.stylesrc.unsafe.hashes.otherinfo': (
        'style-src includes unsafe-hashes, an attacker will be able to use any of the code covered by such '
        'hashes.'
    ),
    'csp.stylesrc.unsafe.hashes.refs': (
        'https://www.w3.org/TR/CSP3/#unsafe-hashes-usage\n'
        'https://content-security-policy.com/examples/allow-inline-style/'
    ),
    'csp.stylesrc.unsafe.name': 'style-src unsafe-inline',
    'csp.stylesrc.unsafe.otherinfo': 'style-src includes unsafe-inline.',
    'csp.wildcard.name': 'Wildcard Directive',
    'csp.wildcard.otherinfo': (
        'The following directives either allow wildcard sources (or ancestors), are not defined, or are '
        'overly broadly defined:\n{0}'
    ),
    'csp.xcsp.name': 'X-Content-Security-Policy',
    'csp.xcsp.otherinfo': (
        'The header X-Content-Security-Policy was found on this response. While it is a good sign that CSP '
        'is implemented to some degree the policy specified in this header has not been analyzed by ZAP. To '
        'ensure full support by modern browsers ensure that the Content-Security-Policy header is defined '
        'and attached to responses.'
    ),
    'csp.xwkcsp.name': 'X-WebKit-CSP',
    'csp.xwkcsp.otherinfo': (
        'The header X-WebKit-CSP was found on this response. While it is a good sign that CSP is implemented '
        'to some degree the policy specified in this header has not been analyzed by ZAP. To ensure full '
        'support by modern browsers ensure that the Content-Security-Policy header is defined and attached '
        'to responses.'
    ),
    'informationdisclosuredebugerrors.desc': (
        'The response appeared to contain common error messages returned by platforms such as ASP.NET, and '
        'Web-servers such as IIS and Apache. You can configure the list of common debug messages.'
    ),
    'informationdisclosuredebugerrors.name': 'Information Disclosure - Debug Error Messages',
    'informationdisclosuredebugerrors.soln': 'Disable debugging messages before pushing to production.',
    'noanticsrftokens.alert.extrainfo': 'No known Anti-CSRF token {0} was found in the following HTML form: {1}.',
    'noanticsrftokens.desc': 'No Anti-CSRF tokens were found in a HTML submission form.',
    'noanticsrftokens.extrainfo.annotation': (
        'This is an informational alert as the form has a security annotation indicating that it does not '
        'need an anti-CSRF Token. This should be tested manually to ensure the annotation is correct.'
    ),
    'noanticsrftokens.name': 'Absence of Anti-CSRF Tokens',
    'pii.bin.field': 'Bank Identification Number:',
    'pii.brand.field': 'Brand:',
    'pii.category.field': 'Category:',
    'pii.desc': (
        'The response contains Personally Identifiable Information, such as CC number, SSN and similar '
        'sensitive data.'
    ),
    'pii.extrainfo': 'Credit Card Type detected: {0}',
    'pii.issuer.field': 'Issuer:',
    'pii.name': 'PII Disclosure',
    'pii.soln': (
        'Check the response for the potential presence of personally identifiable information (PII), ensure '
        'nothing sensitive is leaked by the application.'
    ),
    'serverheader.rule.name': 'HTTP Server Response Header',
    'serverheaderinfoleak.desc': (
        'The web/application server is leaking the application it uses as a webserver via the "Server" HTTP '
        'response header. Access to such information may facilitate attackers identifying other '
        'vulnerabilities your web/application server is subject to. This information alone, i.e. without a '
        'version string, is not very dangerous for the security of a server, nevertheless this information '
        'in the response header field is almost always useless and thus just an obsolete attacking vector.'
    ),
    'serverheaderinfoleak.general.refs': (
        'https://httpd.apache.org/docs/current/mod/core.html#servertokens\n'
        'https://learn.microsoft.com/en-us/previous-versions/msp-n-p/ff648552(v=pandp.10)\n'
        'https://www.troyhunt.com/shhh-dont-let-your-response-headers/'
    ),
    'serverheaderinfoleak.general.soln': (
        'Ensure that your web server, application server, load balancer, etc. is configured to suppress the '
        '"Server" header or provide generic details.'
    ),
    'serverheaderinfoleak.name': 'Server Leaks its Webserver Application via "Server" HTTP Response Header Field',
    'serverheaderversioninfoleak.desc': (
        'The web/application server is leaking version information via the "Server" HTTP response header. '
        'Access to such information may facilitate attackers identifying other vulnerabilities your '
        'web/application server is subject to.'
    ),
    'serverheaderversioninfoleak.name': 'Server Leaks Version Information via "Server" HTTP Response Header Field',
    'stricttransportsecurity.compliance.malformed.content.desc': (
        'A HTTP Strict Transport Security (HSTS) header was found, but it contains some content that was not '
        'expected (perhaps curly quotes), the expectation is that the content be printable ASCII characters.'
    ),
    'stricttransportsecurity.compliance.malformed.content.name': (
        'Strict-Transport-Security Malformed Content (Non-compliant with Spec)'
    ),
    'stricttransportsecurity.compliance.malformed.content.refs': 'https://datatracker.ietf.org/doc/html/rfc6797',
    'stricttransportsecurity.compliance.malformed.content.soln': (
        'Review the configuration of this control. Ensure that your web server, application server, load '
        'balancer, etc. is configured to set Strict-Transport-Security with appropriate content.'
    ),
    'stricttransportsecurity.compliance.max.age.malformed.desc': (
        'A HTTP Strict Transport Security (HSTS) header was found, but it contains quotes preceding the '
        'max-age directive (the max-age value can be quoted, but the directive itself cannot be). See RFC '
        '6797 for further details.\nHTTP Strict Transport Security (HSTS) is a web security policy mechanism '
        'whereby a web server declares that complying user agents (such as a web browser) are to interact '
        'with it using only secure HTTPS connections (i.e. HTTP layered over TLS/SSL).'
    ),
    'stricttransportsecurity.compliance.max.age.malformed.name': (
        'Strict-Transport-Security Max-Age Malformed (Non-compliant with Spec)'
    ),
    'stricttransportsecurity.compliance.max.age.malformed.refs': (
        'https://datatracker.ietf.org/doc/html/rfc6797#section-6.1'
    ),
    'stricttransportsecurity.compliance.max.age.malformed.soln': (
        'Review the configuration of this control. Ensure that your web server, application server, load '
        'balancer, etc. is configured to set Strict-Transport-Security with an appropriate format.'
    ),
    'stricttransportsecurity.compliance.max.age.missing.desc': (
        'A HTTP Strict Transport Security (HSTS) header was found, but it is missing the max-age directive '
        '(or the directive is missing a value). See RFC 6797 for further details.\nHTTP Strict Transport '
        'Security (HSTS) is a web security policy mechanism whereby a web server declares that complying '
        'user agents (such as a web browser) are to interact with it using only secure HTTPS connections '
        '(i.e. HTTP layered over TLS/SSL).'
    ),
    'stricttransportsecurity.compliance.max.age.missing.name': (
        'Strict-Transport-Security Missing Max-Age (Non-compliant with Spec)'
    ),
    'stricttransportsecurity.compliance.max.age.missing.refs': (
        'https://datatracker.ietf.org/doc/html/rfc6797#section-6.2'
    ),
    'stricttransportsecurity.compliance.max.age.missing.soln': (
        'Review the configuration of this control. Ensure that your web server, application server, load '
        'balancer, etc. is configured to set Strict-Transport-Security with an appropriate max-age value.'
    ),
    'stricttransportsecurity.compliance.meta.desc': (
        'A HTTP Strict Transport Security (HSTS) META tag was found, defining HTTP Strict Transport Security '
        '(HSTS) via a META tag is explicitly not supported by the spec (RFC 6797).'
    ),
    'stricttransportsecurity.compliance.meta.name': (
        'Strict-Transport-Security Defined via META (Non-compliant with Spec)'
    ),
    'stricttransportsecurity.compliance.meta.refs': 'https://datatracker.ietf.org/doc/html/rfc6797#section-8.5',
    'stricttransportsecurity.compliance.meta.soln': (
        'Do not attempt to set HTTP Strict Transport Security (HSTS) via a META tag.'
    ),
    'stricttransportsecurity.compliance.multiple.header.desc': (
        'HTTP Strict Transport Security (HSTS) headers were found, a response with multiple HSTS header '
        'entries is not compliant with the specification (RFC 6797) and only the first HSTS header will be '
        'processed others will be ignored by user agents or the HSTS policy may be incorrectly applied.\nHTTP '
        'Strict Transport Security (HSTS) is a web security policy mechanism whereby a web server declares '
        'that complying user agents (such as a web browser) are to interact with it using only secure HTTPS '
        'connections (i.e. HTTP layered over TLS/SSL).'
    ),
    'stricttransportsecurity.compliance.multiple.header.name': (
        'Strict-Transport-Security Multiple Header Entries (Non-compliant with Spec)'
    ),
    'stricttransportsecurity.compliance.multiple.header.refs': (
        'https://datatracker.ietf.org/doc/html/rfc6797#section-8.1'
    ),
    'stricttransportsecurity.compliance.multiple.header.soln': (
        'Ensure that only one component in your stack: code, web server, application server, load balancer, '
        'etc. is configured to set or add a HTTP Strict-Transport-Security (HSTS) header.'
    ),
    'stricttransportsecurity.desc': (
        'HTTP Strict Transport Security (HSTS) is a web security policy mechanism whereby a web server '
        'declares that complying user agents (such as a web browser) are to interact with it using only '
        'secure HTTPS connections (i.e. HTTP layered over TLS/SSL). HSTS is an IETF standards track protocol '
        'and is specified in RFC 6797.'
    ),
    'stricttransportsecurity.max.age.desc': (
        'A HTTP Strict Transport Security (HSTS) header was found, but it contains the directive max-age=0 '
        'which disables the control and instructs browsers to reset any previous HSTS related settings. See '
        'RFC 6797 for further details.\nHTTP Strict Transport Security (HSTS) is a web security policy '
        'mechanism whereby a web server declares that complying user agents (such as a web browser) are to '
        'interact with it using only secure HTTPS connections (i.e. HTTP layered over TLS/SSL).'
    ),
    'stricttransportsecurity.max.age.name': 'Strict-Transport-Security Disabled',
    'stricttransportsecurity.max.age.refs': 'https://datatracker.ietf.org/doc/html/rfc6797#section-6.2',
    'stricttransportsecurity.max.age.soln': (
        'Review the configuration of this control. Ensure that your web server, application server, load '
        'balancer, etc. is configured to set Strict-Transport-Security with an appropriate max-age value.'
    ),
    'stricttransportsecurity.name': 'Strict-Transport-Security Header Not Set',
    'stricttransportsecurity.plain.resp.desc': (
        'A HTTP Strict Transport Security (HSTS) header was found, but HSTS headers are ignored on plain '
        '(non-HTTPS) responses.\nHTTP Strict Transport Security (HSTS) is a web security policy mechanism '
        'whereby a web server declares that complying user agents (such as a web browser) are to interact '
        'with it using only secure HTTPS connections (i.e. HTTP layered over TLS/SSL).'
    ),
    'stricttransportsecurity.plain.resp.name': 'Strict-Transport-Security Header on Plain HTTP Response',
    'stricttransportsecurity.plain.resp.refs': 'https://datatracker.ietf.org/doc/html/rfc6797#section-8.1',
    'stricttransportsecurity.plain.resp.soln': (
        'Review the configuration of this control. Ensure that your web server, application server, load '
        'balancer, etc. is configured to set Strict-Transport-Security for HTTPS responses.'
    ),
    'stricttransportsecurity.refs': (
        'https://cheatsheetseries.owasp.org/cheatsheets/HTTP_Strict_Transport_Security_Cheat_Sheet.html\n'
        'https://owasp.org/www-community/Security_Headers\n'
        'https://en.wikipedia.org/wiki/HTTP_Strict_Transport_Security\n'
        'https://caniuse.com/stricttransportsecurity\nhttps://datatracker.ietf.org/doc/html/rfc6797'
    ),
    'stricttransportsecurity.rule.name': 'Strict-Transport-Security Header',
    'stricttransportsecurity.soln': (
        'Ensure that your web server, application server, load balancer, etc. is configured to enforce '
        'Strict-Transport-Security.'
    ),
    'timestampdisclosure.desc': 'A timestamp was disclosed by the application/web server.',
    'timestampdisclosure.extrainfo': '{0}, which evaluates to: {1}.',
    'timestampdisclosure.name': 'Timestamp Disclosure',
    'timestampdisclosure.refs': 'https://cwe.mitre.org/data/definitions/200.html',
    'timestampdisclosure.soln': (
        'Manually confirm that the timestamp data is not sensitive, and that the data cannot be aggregated '
        'to disclose exploitable patterns.'
    ),
    'xcontenttypeoptions.desc': (
        "The Anti-MIME-Sniffing header X-Content-Type-Options was not set to 'nosniff'. This allows older "
        'versions of Internet Explorer and Chrome to perform MIME-sniffing on the response body, potentially '
        'causing the response body to be interpreted and displayed as a content type other than the declared '
        'content type. Current (early 2014) and legacy versions of Firefox will use the declared content '
        'type (if one is set), rather than performing MIME-sniffing.'
    ),
    'xcontenttypeoptions.name': 'X-Content-Type-Options Header Missing',
    'xcontenttypeoptions.otherinfo': (
        'This issue still applies to error type pages (401, 403, 500, etc.) as those pages are often still '
        'affected by injection issues, in which case there is still concern for browsers sniffing pages away '
        'from their actual content type.\nAt "High" threshold this scan rule will not alert on client or '
        'server error responses.'
    ),
    'xcontenttypeoptions.refs': (
        'https://learn.microsoft.com/en-us/previous-versions/windows/internet-explorer/ie-developer/compatibility/gg622941(v=vs.85)\n'  # noqa: E501
        'https://owasp.org/www-community/Security_Headers'
    ),
    'xcontenttypeoptions.soln': (
        'Ensure that the application/web server sets the Content-Type header appropriately, and that it sets '
        "the X-Content-Type-Options header to 'nosniff' for all web pages.\nIf possible, ensure that the end "
        'user uses a standards-compliant and modern web browser that does not perform MIME-sniffing at all, '
        'or that can be directed by the web application/web server to not perform MIME-sniffing.'
    ),
    'xpoweredbyheaderinfoleak.desc': (
        'The web/application server is leaking information via one or more "X-Powered-By" HTTP response '
        'headers. Access to such information may facilitate attackers identifying other '
        'frameworks/components your web application is reliant upon and the vulnerabilities such components '
        'may be subject to.'
    ),
    'xpoweredbyheaderinfoleak.name': 'Server Leaks Information via "X-Powered-By" HTTP Response Header Field(s)',
    'xpoweredbyheaderinfoleak.otherinfo.msg': 'The following X-Powered-By headers were also found:\n',
    'xpoweredbyheaderinfoleak.refs': (
        'https://owasp.org/www-project-web-security-testing-guide/v42/4-Web_Application_Security_Testing/01-Information_Gathering/08-Fingerprint_Web_Application_Framework\n'  # noqa: E501
        'https://www.troyhunt.com/shhh-dont-let-your-response-headers/'
    ),
    'xpoweredbyheaderinfoleak.soln': (
        'Ensure that your web server, application server, load balancer, etc. is configured to suppress '
        '"X-Powered-By" headers.'
    ),
    'wasc9.desc': (
        'A cross-site request forgery is an attack that involves forcing a victim to send an HTTP request to '
        'a target destination without their knowledge or intent in order to perform an action as the victim. '
        'The underlying cause is application functionality using predictable URL/form actions in a '
        'repeatable way. The nature of the attack is that CSRF exploits the trust that a web site has for a '
        'user. By contrast, cross-site scripting (XSS) exploits the trust that a user has for a web site. '
        'Like XSS, CSRF attacks are not necessarily cross-site, but they can be. Cross-site request forgery '
        'is also known as CSRF, XSRF, one-click attack, session riding, confused deputy, and sea surf.\n\nCSRF '
        'attacks are effective in a number of situations, including:\n    * The victim has an active session '
        'on the target site.\n    * The victim is authenticated via HTTP auth on the target site.\n    * The '
        'victim is on the same local network as the target site.\n\nCSRF has primarily been used to perform an '
        "action against a target site using the victim's privileges, but recent techniques have been "
        'discovered to disclose information by gaining access to the response. The risk of information '
        'disclosure is dramatically increased when the target site is vulnerable to XSS, because XSS can be '
        'used as a platform for CSRF, allowing the attack to operate within the bounds of the same-origin '
        'policy.'
    ),
    'wasc9.soln': (
        'Phase: Architecture and Design\nUse a vetted library or framework that does not allow this weakness '
        'to occur or provides constructs that make this weakness easier to avoid.\nFor example, use anti-CSRF '
        'packages such as the OWASP CSRFGuard.\n\nPhase: Implementation\nEnsure that your application is free '
        'of cross-site scripting issues, because most CSRF defenses can be bypassed using '
        'attacker-controlled script.\n\nPhase: Architecture and Design\nGenerate a unique nonce for each form, '
        'place the nonce into the form, and verify the nonce upon receipt of the form. Be sure that the '
        'nonce is not predictable (CWE-330).\nNote that this can be bypassed using XSS.\n\nIdentify especially '
        'dangerous operations. When the user performs a dangerous operation, send a separate confirmation '
        'request to ensure that the user intended to perform that operation.\nNote that this can be bypassed '
        'using XSS.\n\nUse the ESAPI Session Management control.\nThis control includes a component for CSRF.\n\n'
        'Do not use the GET method for any request that triggers a state change.\n\nPhase: Implementation\n'
        'Check the HTTP Referer header to see if the request originated from an expected page. This could '
        'break legitimate functionality, because users or proxies may have disabled sending the Referer for '
        'privacy reasons.'
    ),
    'wasc9.refs': (
        'https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html\n'
        'https://cwe.mitre.org/data/definitions/352.html'
    ),
}
