// The API reference: swagger-ui (served from /assets, no CDN) rendering this service's /openapi.json.
// No validator badge (it would call a public validator) and no "try it" by default: a reference, not a client.
window.ui = window.SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#api',
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: false,
  supportedSubmitMethods: ['get'],
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
