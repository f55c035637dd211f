/** The published minified build of enigma.js: the same code as its main file, a third of the bytes in dist/. */
declare module 'enigma.js/enigma.min.js' {
  import enigma from 'enigma.js'
  export default enigma
}
