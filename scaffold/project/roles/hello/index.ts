// A small role to copy from: one variable, a folder and a page rendered from the template beside it.
// `provision apply` loads this file as it is (no build step); `npx tsc --noEmit` type-checks it.
import { defineRole, file } from 'scaleup';

type HelloVars = {
  /** The line the page shows. */
  hello_greeting: string;
  /** Where the page is written. */
  hello_dir: string;
};

export default defineRole<HelloVars>({
  name: 'hello',
  description: 'A page that greets whoever reads it',
  defaults: {
    hello_greeting: 'Hello',
    hello_dir: '/srv/hello',
  },
  steps: (v) => [
    file.directory({ path: v.hello_dir, mode: '0755' }),
    // Found in this role's templates/ folder; templates/hello/index.html.ejs in the project would replace it.
    file.template({ src: 'index.html.ejs', dest: `${v.hello_dir}/index.html`, mode: '0644' }),
  ],
});
