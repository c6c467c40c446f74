// n8n loads this package through the "n8n" section of package.json, not through "main".
// This file only exists because npm always packs the "main" entry.
module.exports = {};
