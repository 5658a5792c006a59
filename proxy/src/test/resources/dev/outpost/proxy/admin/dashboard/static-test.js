console.log("admin static test fixture");
