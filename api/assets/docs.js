// The interactive docs page: Swagger UI over this server's own OpenAPI document. Every
// asset is served by police-api itself; nothing is fetched from elsewhere.
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
