// The dashboard's script (an ES module).
document.getElementById("app").textContent = "openspec-sync dashboard";
